package legacy

import "net/http"

// vendored code is not ours to fix: skipped by default
func Get(url string) (*http.Response, error) { return http.DefaultClient.Get(url) }

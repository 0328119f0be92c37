package trace

import "net/http"

func traceID(r *http.Request) string {
	if id := r.Header.Get("X-Trace-ID"); id != "" {
		return id
	}
	return r.Header["X-Trace-Id"][0] // canonical key: found
}

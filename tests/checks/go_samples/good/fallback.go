package fallback

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Wrong: errors.Is(err, codes.Unavailable) -- kept in a comment, not in code.
func handle(err error) string {
	if status.Code(err) == codes.Unavailable {
		return "fallback"
	}
	msg := "never use errors.Is(err, codes.Unavailable) or http.DefaultClient"
	_ = fmt.Sprintf("%s", msg)
	return "error"
}

package fallback

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func callPayments() error {
	err := status.Error(codes.Unavailable, "backend overloaded")
	wrapped := fmt.Errorf("rpc call failed: %w", err) // StatusCode information lost
	return wrapped
}

func handle() string {
	err := callPayments()
	if errors.Is(err, status.Error(codes.Unavailable, "")) { // status.Error.Is compares the message too
		return "fallback"
	}
	return "error"
}

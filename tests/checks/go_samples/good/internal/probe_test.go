package internal

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestHealthProbe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, _ = http.DefaultClient.Do((&http.Request{}).WithContext(ctx))
}

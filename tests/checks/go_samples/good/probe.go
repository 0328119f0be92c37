package health

import (
	"context"
	"net/http"
	"time"
)

type Prober struct {
	Client  *http.Client // the SDK's instrumented client, never http.DefaultClient
	Timeout time.Duration
}

func (p *Prober) probeHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/health", nil)
	resp, err := p.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return nil
}

package icap

import (
	"context"
	"fmt"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Service is what OPTIONS says about the service (RFC 3507 section
// 4.10.2).
type Service struct {
	Methods        []string      // Methods: RESPMOD, REQMOD
	ISTag          string        // ISTag, quotes included (section 4.7)
	Name           string        // Service
	Preview        int           // Preview: bytes wanted first; -1: no preview
	Allow204       bool          // Allow: 204
	MaxConnections int           // Max-Connections; 0: not said
	TTL            time.Duration // Options-TTL; 0: valid until the ISTag changes
}

// service returns the OPTIONS answer in force, asking again when there is
// none or it expired.
func (c *Client) service(ctx context.Context) (*Service, error) {
	if svc := c.current(); svc != nil {
		return svc, nil
	}
	return c.refresh(ctx, c.current)
}

// current returns the OPTIONS answer unless there is none or it expired
// (Options-TTL, RFC 3507 section 4.10.2).
func (c *Client) current() *Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.svc != nil && (c.svc.TTL == 0 || time.Since(c.svcTime) < c.svc.TTL) {
		return c.svc
	}
	return nil
}

// forget drops the OPTIONS answer: the next scan asks again.
func (c *Client) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.svc = nil
}

// refresh asks OPTIONS, one caller at a time. Once it has its turn, it
// takes the answer of the caller before it if cached returns one.
func (c *Client) refresh(ctx context.Context, cached func() *Service) (*Service, error) {
	select {
	case c.fetching <- struct{}{}:
		defer func() { <-c.fetching }()
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for OPTIONS: %w", ctx.Err())
	}
	if cached != nil {
		if svc := cached(); svc != nil {
			return svc, nil
		}
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	return c.fetchOptions(ctx)
}

// fetchOptions sends OPTIONS (section 4.10.1: no body, so
// "Encapsulated: null-body=0") and keeps the answer. Max-Connections
// lowers the number of sessions.
func (c *Client) fetchOptions(ctx context.Context) (*Service, error) {
	head := c.icapHead(methodOPTIONS, "null-body=0", -1)
	resp, err := c.exchange(ctx, request{head: head, preview: -1}, 0)
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		return nil, &StatusError{Code: resp.Status, Reason: resp.Reason}
	}
	svc := parseService(resp.Header)
	if !slices.Contains(svc.Methods, c.opts.Method) {
		return nil, fmt.Errorf("%w: %s offers %v, not %s", ErrMethod, c.uri, svc.Methods, c.opts.Method)
	}
	if svc.MaxConnections > 0 {
		c.limit.setMax(min(c.opts.Sessions, svc.MaxConnections))
	}
	c.mu.Lock()
	c.svc, c.svcTime = svc, time.Now()
	c.mu.Unlock()
	return svc, nil
}

// parseService reads the OPTIONS response headers. Unreadable numbers
// count as absent.
func parseService(h textproto.MIMEHeader) *Service {
	svc := &Service{ISTag: h.Get("ISTag"), Name: h.Get("Service"), Preview: -1}
	for _, v := range h.Values("Methods") {
		for m := range strings.SplitSeq(v, ",") {
			if m = strings.ToUpper(strings.TrimSpace(m)); m != "" {
				svc.Methods = append(svc.Methods, m)
			}
		}
	}
	if n, err := strconv.Atoi(h.Get("Preview")); err == nil && n >= 0 {
		svc.Preview = n
	}
	for _, v := range h.Values("Allow") {
		for a := range strings.SplitSeq(v, ",") {
			svc.Allow204 = svc.Allow204 || strings.TrimSpace(a) == "204"
		}
	}
	if n, err := strconv.Atoi(h.Get("Max-Connections")); err == nil && n > 0 {
		svc.MaxConnections = n
	}
	if n, err := strconv.Atoi(h.Get("Options-TTL")); err == nil && n > 0 {
		svc.TTL = time.Duration(n) * time.Second
	}
	return svc
}

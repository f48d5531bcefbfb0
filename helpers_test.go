package freshtoken

import (
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"testing"
)

// Helpers for the tests that run a Manager over real HTTP (the JWK Set
// tests). The middleware and its tests live in package httpauth.

// webKey returns a fixed Ed25519 key; seed selects which.
func webKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

func newWebManager(t testing.TB, cfg Config) *Manager {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = webKey(1)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func issue(t testing.TB, m *Manager, subject string, opts ...IssueOption) *Pair {
	t.Helper()
	p, err := m.Issue(context.Background(), subject, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// answer is what a test checks of an HTTP response.
type answer struct {
	Status    int
	Challenge string // WWW-Authenticate
	Body      string
}

// send makes one request and reads the answer.
func send(t *testing.T, c *http.Client, method, url string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate"), Body: string(body)}
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// Package testhttp makes the HTTP requests freshtoken's tests check: one
// request, and what a test compares of its answer.
package testhttp

import (
	"io"
	"net/http"
	"testing"
)

// Answer is what a test checks of an HTTP response.
type Answer struct {
	Status    int
	Challenge string // WWW-Authenticate
	Body      string
}

// Send makes one request with header and reads the answer.
func Send(t *testing.T, c *http.Client, method, url string, header http.Header) Answer {
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
	return Answer{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate"), Body: string(body)}
}

// Bearer is an Authorization header carrying tok.
func Bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

package freshtoken

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestAppendStringMatchesJSONMarshal(t *testing.T) {
	inputs := []string{"", "user-42", "https://auth.example.com", "café", "a\u2028b", "a\u2029b", "\xff", "a\xc3", "日本"}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	for _, in := range inputs {
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString([]byte("x"), in); string(got) != "x"+string(want) {
			t.Errorf("appendString(%q) = %s, json.Marshal writes %s", in, got[1:], want)
		}
	}
}

// sign builds tokens in pooled buffers too: tokens issued at once on many
// goroutines must each be whole and carry their own subject.
func TestPooledSigningKeepsTokensApart(t *testing.T) {
	ctx := context.Background()
	m, _ := newTestManager(t, Config{})
	type issued struct {
		subject string
		pair    *Pair
	}
	out := make(chan issued, 4*50)
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 50 {
				subject := fmt.Sprintf("user-%d-%s", g, strings.Repeat("y", i))
				p, err := m.Issue(ctx, subject)
				if err != nil {
					errs <- err
					return
				}
				out <- issued{subject, p}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(out)
	for is := range out {
		for _, check := range []struct {
			tok   string
			guard func(context.Context, string) (*Claims, error)
		}{{is.pair.Access, m.RequireFresh}, {is.pair.Refresh, m.RequireRefresh}} {
			c, err := check.guard(ctx, check.tok)
			if err != nil || c.Subject != is.subject {
				t.Fatalf("token issued for %q: got %v, %v", is.subject, c, err)
			}
		}
	}
}

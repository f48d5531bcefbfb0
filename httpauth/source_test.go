package httpauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// TestFromFunc reads tokens from a query parameter beside the header: the
// first place that holds one decides, "" and ErrNoToken mean none there,
// and any other error from the extractor refuses the request, even under
// OptionalAccess.
func TestFromFunc(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, m, "alice")
	errTwo := errors.New("two access_token parameters")
	query := FromFunc("query", func(r *http.Request) (string, error) {
		switch v := r.URL.Query()["access_token"]; {
		case len(v) > 1 && v[0] == "malformed":
			return "", fmt.Errorf("%w: %w", freshtoken.ErrMalformed, errTwo)
		case len(v) > 1:
			return "", errTwo
		case len(v) == 1 && v[0] == "none":
			return "", fmt.Errorf("%w: the parameter says none", ErrNoToken)
		case len(v) == 1:
			return v[0], nil
		}
		return "", nil
	})
	var logged error
	mw := newWebMiddleware(t, m, Config{
		Sources: []Source{query, FromHeader},
		ErrorWriter: func(w http.ResponseWriter, r *http.Request, err error) {
			logged = err
			ResponseFor("", err).Write(w)
		},
	})
	missing := answer{Status: 401, Challenge: "Bearer", Body: errorBody("missing_token", "No token was sent")}
	anonymous := answer{Status: 200, Body: `anonymous source=none token=""`}
	tests := []struct {
		name     string
		method   string
		target   string
		header   http.Header
		want     answer // RequireAccess
		optional answer // OptionalAccess
		logged   error  // matched by the ErrorWriter's error, when refused
		reason   string
	}{
		{"query", "GET", "/?access_token=" + login.Access, nil, answer{Status: 200, Body: "access alice source=query"}, answer{Status: 200, Body: "access alice source=query"}, nil, ""},
		{"query, unsafe method", "POST", "/?access_token=" + login.Access, nil, answer{Status: 200, Body: "access alice source=query"}, answer{Status: 200, Body: "access alice source=query"}, nil, "no CSRF check: a browser never fills the URL with the token by itself"},
		{"query first", "GET", "/?access_token=" + login.Access, bearer("abc"), answer{Status: 200, Body: "access alice source=query"}, answer{Status: 200, Body: "access alice source=query"}, nil, "the first place that holds a token decides"},
		{"header next", "GET", "/", bearer(login.Access), answer{Status: 200, Body: "access alice source=header"}, answer{Status: 200, Body: "access alice source=header"}, nil, `"" means none: the next source is tried`},
		{"ErrNoToken, header next", "GET", "/?access_token=none", bearer(login.Access), answer{Status: 200, Body: "access alice source=header"}, answer{Status: 200, Body: "access alice source=header"}, nil, "ErrNoToken means none too"},
		{"nowhere", "GET", "/", nil, missing, anonymous, ErrNoToken, ""},
		{"ErrNoToken, nowhere", "GET", "/?access_token=none", nil, missing, anonymous, ErrNoToken, "the extractor's absence is an absence"},
		{"extractor error", "GET", "/?access_token=a&access_token=b", bearer(login.Access), invalidAnswer("The token is invalid"), invalidAnswer("The token is invalid"), errTwo, "an error stops the search and never passes, even under OptionalAccess"},
		{"extractor error with sentinel", "GET", "/?access_token=malformed&access_token=b", nil, invalidAnswer("The token is malformed"), invalidAnswer("The token is malformed"), freshtoken.ErrMalformed, "the extractor picks the answer through the sentinel it wraps"},
		{"garbage in the query", "GET", "/?access_token=abc", nil, invalidAnswer("The token is malformed"), invalidAnswer("The token is malformed"), freshtoken.ErrMalformed, "the guard checks what the extractor found"},
		{"refresh token in the query", "GET", "/?access_token=" + login.Refresh, nil, invalidAnswer("The token is of the wrong type"), invalidAnswer("The token is of the wrong type"), freshtoken.ErrWrongType, ""},
	}
	for _, tt := range tests {
		for _, g := range []struct {
			name string
			h    http.Handler
			want answer
		}{
			{"RequireAccess", mw.RequireAccess(whoamiOrAnonymous), tt.want},
			{"OptionalAccess", mw.OptionalAccess(whoamiOrAnonymous), tt.optional},
		} {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header[k] = v
			}
			logged = nil
			got := record(g.h, r)
			if diff := cmp.Diff(g.want, got); diff != "" {
				t.Errorf("%s, %s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, g.name, got, g.want, diff, tt.reason)
			}
			if got.Status != 200 && !errors.Is(logged, tt.logged) {
				t.Errorf("%s, %s: the ErrorWriter got %v, want an error matching %v", tt.name, g.name, logged, tt.logged)
			}
		}
	}
	logged = nil
	record(mw.RequireAccess(whoamiOrAnonymous), httptest.NewRequest("GET", "/?access_token=a&access_token=b", nil))
	if logged == nil || !strings.Contains(logged.Error(), "source query") || !strings.Contains(logged.Error(), errTwo.Error()) {
		t.Errorf("the ErrorWriter got %v; want the extractor's error, naming the source", logged)
	}
}

// TestExtractWrongScheme checks that a header with another scheme is no
// token wherever the header sits among the Sources, and that the refusal
// still names the scheme, so a client sending "JWT <token>" learns why.
func TestExtractWrongScheme(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	for _, sources := range [][]Source{{FromHeader}, {FromHeader, FromCookie}, {FromCookie, FromHeader}, {FromFunc("q", noToken), FromHeader, FromCookie}} {
		mw := newWebMiddleware(t, m, Config{Sources: sources})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "JWT a.b.c")
		_, src, err := mw.extract(netRequest{r}, freshtoken.AccessToken)
		if src != (Source{}) || !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), `"JWT"`) {
			t.Errorf("%v: extract = %v, %v; want no Source and ErrNoToken naming \"JWT\"", sources, src, err)
		}
	}
}

// TestSourceFromContext checks which Source each guard records, and that a
// request that passed no guard, or passed one without a token, has none.
func TestSourceFromContext(t *testing.T) {
	if got := SourceFromContext(context.Background()); got != (Source{}) || got.String() != "none" {
		t.Errorf("SourceFromContext of a bare context = %v, want the zero Source, named none", got)
	}
	m, _ := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, m, "alice", freshtoken.WithCSRF())
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromHeader, FromCookie}})
	var got Source
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = SourceFromContext(r.Context()) })
	tests := []struct {
		name   string
		h      http.Handler
		header http.Header
		want   Source
	}{
		{"header", mw.RequireAccess(h), bearer(login.Access), FromHeader},
		{"cookie", mw.RequireAccess(h), http.Header{"Cookie": {"access_token_cookie=" + login.Access}}, FromCookie},
		{"refresh cookie", mw.RequireRefresh(h), http.Header{"Cookie": {"refresh_token_cookie=" + login.Refresh}}, FromCookie},
		{"optional without token", mw.OptionalAccess(h), nil, Source{}},
	}
	for _, tt := range tests {
		got = Source{p: &source{name: "unset"}}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header = tt.header
		if r.Header == nil {
			r.Header = http.Header{}
		}
		tt.h.ServeHTTP(httptest.NewRecorder(), r)
		if got != tt.want {
			t.Errorf("%s: SourceFromContext = %v, want %v", tt.name, got, tt.want)
		}
	}
}

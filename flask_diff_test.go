package freshtoken

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// TestFlaskDifferential judges thousands of tokens twice: with the real
// Flask-JWT-Extended (testdata/flaskdiff/judge.py, one long-lived Python
// process answering JSON lines, both its clock and PyJWT's frozen at the
// case's instant) and with the Flask profile's guards at the same instant.
// Tokens come from Flask, from freshtoken, and from the test itself: HS256
// over payload bytes written by hand, with every claim in every JSON type,
// escapes, duplicates, other encodings, odd headers and odd base64. Instants
// sit on the edges of exp, nbf, iat and freshness windows, to the
// microsecond, with and without a fractional leeway.
//
// Two comparisons are made:
//   - judge: one token, one check ("access" = jwt_required() / RequireAccess,
//     "fresh" = jwt_required(fresh=True) / RequireFresh, "refresh" =
//     jwt_required(refresh=True) / RequireRefresh, "refresh_view" = a
//     refresh view / Refresh), Flask's verdict against freshtoken's;
//   - mint: the same token made by each side (Issue and create_*_token with
//     the same settings at the same instant, or Refresh and the refresh view
//     on the same refresh token), both judged by Flask.
//
// When both sides refresh a token, each side's new access token must also
// pass the other side's access check and fail its fresh check.
//
// A difference fails the test unless flaskDiffIntended, the table below,
// names it; every entry must be a place where freshtoken is stricter, and
// docs/flask.md must list it. The generator is seeded, so a failure reproduces.
// The report shows 60 lines; FRESHTOKEN_FLASKDIFF_LINES=N shows N, and
// FRESHTOKEN_FLASKDIFF_DUMP=file writes every case, one a line.

// flaskDiffIntended are the differences freshtoken means to have: the
// list in docs/flask.md of where the Flask profile is stricter. An entry matches a
// case it applies to when Flask's class is one of flask and freshtoken's is
// gox. (In a mint case "Flask" is Flask's verdict on Flask's token and
// "freshtoken" its verdict on freshtoken's token.) The test holds every
// entry to the rule that freshtoken refuses: it may refuse what Flask
// accepts, or refuse in another class than Flask; it never accepts what
// Flask refuses.
var flaskDiffIntended = []fdIntended{
	{
		name:    "identity not a non-empty string",
		applies: fdTagged("identity-type"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Flask-JWT-Extended 4.4 accepts any JSON identity (42, {}, null, \"\"); freshtoken " +
			"reads Claims.Subject as a non-empty string, as 4.7+ with PyJWT 2.10 does for the type",
		readme: "The identity must be a non-empty string (`str(user.id)`)",
	},
	{
		name:    "no exp",
		applies: fdTagged("exp-missing"),
		flask:   fdLater, gox: fdInvalid,
		reason: "PyJWT checks exp only when present, so expires_delta=False (or timedelta(0)) " +
			"makes a token that never expires; freshtoken requires exp",
		readme: "Every token needs `exp`",
	},
	{
		name:    "lifetime over the TTL",
		applies: fdTagged("lifetime"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Flask has no lifetime cap; freshtoken refuses exp-iat above AccessTTL/RefreshTTL " +
			"(or not positive), so lowering the TTL also cuts tokens already out",
		readme: "lifetimes are capped at `AccessTTL`/`RefreshTTL`",
	},
	{
		name:    "iat and jti required",
		applies: fdTagged("iat-missing", "jti"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Flask-JWT-Extended always writes iat and a UUID jti but never checks them; freshtoken " +
			"needs iat for the lifetime cap and a non-empty string jti to revoke a token",
		readme: "`iat`, and a non-empty string `jti`",
	},
	{
		name:    "times are whole non-negative seconds",
		applies: fdTagged("time-type"),
		flask:   fdLater, gox: fdInvalid,
		reason: "PyJWT takes int(exp) and int(nbf) of anything int() reads (\"1700000000\", 1.5, " +
			"true) and compares iat raw; Flask-JWT-Extended only writes integers",
		readme: "`exp`, `iat` and `nbf` must be JSON integers, whole non-negative seconds",
	},
	{
		name:    "fresh neither boolean nor number",
		applies: fdTagged("fresh-type"),
		flask:   append(slices.Clone(fdLater), fdCrash), gox: fdInvalid,
		reason: "Flask-JWT-Extended reads fresh only in jwt_required(fresh=True), and crashes (HTTP " +
			"500) comparing a string or null with the time; freshtoken refuses the token everywhere",
		readme: "`fresh` must be a boolean or a number",
	},
	{
		name:    "type neither access nor refresh",
		applies: fdTagged("type-value"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Flask-JWT-Extended treats any type but \"refresh\" (\"Access\", 42, null) as an " +
			"access token; freshtoken knows two types",
		readme: "`type` must be `\"access\"` or `\"refresh\"`",
	},
	{
		name:    "claims in another encoding",
		applies: fdTagged("encoding"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Python's json.loads reads a UTF-8 byte-order mark and UTF-16/32 payloads; " +
			"RFC 7519 claims are UTF-8",
		readme: "no byte-order mark, UTF-16 or UTF-32",
	},
	{
		name:    "NaN and Infinity",
		applies: fdTagged("nonjson"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Python reads and writes NaN, Infinity and -Infinity, which are not JSON " +
			"(a NaN fresh is fresh forever in Flask)",
		readme: "no `NaN` or `Infinity`",
	},
	{
		name:    "a member named twice",
		applies: fdTagged("duplicate"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Python keeps the last of two members with one name, other parsers the first; " +
			"freshtoken refuses rather than pick",
		readme: "no member named twice",
	},
	{
		name:    "member names written with escapes",
		applies: fdTagged("escaped-name"),
		flask:   fdLater, gox: fdInvalid,
		reason: "\"\\u0074ype\" is \"type\" to Python; freshtoken refuses escaped names so that no " +
			"check on raw bytes can be fooled. PyJWT escapes non-ASCII names (ensure_ascii)",
		readme: "no member name written with escapes",
	},
	{
		name:    "header beyond alg, typ JWT and kid",
		applies: fdTagged("header"),
		flask:   fdLater, gox: fdInvalid,
		reason: "PyJWT ignores unknown header parameters (crit too), a missing or other typ, and " +
			"reads escaped or repeated names; nothing in freshtoken's header may steer verification",
		readme: "The header may hold only `alg`, `typ: \"JWT\"` and `kid`",
	},
	{
		name:    "kid naming no key",
		applies: fdTagged("kid"),
		flask:   fdLater, gox: fdUnknownKey,
		reason: "Flask-JWT-Extended ignores kid (additional_headers may set one); freshtoken " +
			"verifies with the key a kid names, or refuses",
		readme: "a `kid` must name a key the Manager has",
	},
	{
		name:    "another algorithm",
		applies: fdTagged("alg"),
		flask:   []fdClass{fdInvalid}, gox: fdSignature,
		reason: "both refuse: PyJWT with \"The specified alg value is not allowed\" (422), freshtoken " +
			"with ErrSignature, as errors.go documents for an algorithm other than the key's",
		readme: "the algorithm is the one configured for the key, never the token's choice",
	},
	{
		name:    "non-canonical base64url",
		applies: fdTagged("canonical"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Python's base64 decoder takes padding, +/ and stray trailing bits; freshtoken " +
			"gives every token one spelling, so a token cannot be altered and still verify",
		readme: "each part unpadded base64url with no stray bits",
	},
	{
		name:    "larger than MaxTokenSize",
		applies: fdTagged("oversize"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Flask reads tokens of any size; freshtoken looks at none over Config.MaxTokenSize (8 KiB)",
		readme: "tokens over `Config.MaxTokenSize` (8 KiB)",
	},
	{
		name:    "empty signature",
		applies: fdTagged("empty-signature"),
		flask:   []fdClass{fdSignature}, gox: fdInvalid,
		reason: "both refuse: a token whose third part is empty has no signature at all; freshtoken " +
			"calls it malformed before trying a key (ErrMalformed: wrong shape), PyJWT computes the HMAC " +
			"and reports \"Signature verification failed\"",
		readme: "a token with an empty part is `ErrMalformed`",
	},
	{
		name:    "values Flask cannot compare",
		applies: func(*fdCase) bool { return true },
		flask:   []fdClass{fdCrash}, gox: fdInvalid,
		reason: "both refuse: PyJWT and Flask-JWT-Extended raise TypeError or OverflowError " +
			"(HTTP 500) on a null or string iat, an array nbf, an infinite exp; freshtoken " +
			"answers ErrInvalidClaims",
		readme: "which make Flask-JWT-Extended fail with HTTP 500",
	},
	{
		name:    "lone surrogates",
		applies: fdTagged("lone-surrogate"),
		flask:   fdLater, gox: fdInvalid,
		reason: "Python keeps \\ud800 as a string no UTF-8 can hold; in Go it would decode to U+FFFD, " +
			"so two different identities would read as one: freshtoken refuses the token " +
			"(ErrMalformed), and Issue refuses such a claim",
		readme: "no lone surrogate (`\\ud800`) in any string",
	},
	{
		name:    "refreshed token ends with its refresh token",
		applies: fdTagged("refreshed-capped"),
		flask:   []fdClass{fdAccepted}, gox: fdExpired,
		reason: "Flask's refresh view gives the new access token a full JWT_ACCESS_TOKEN_EXPIRES; " +
			"Refresh never lets it outlive the refresh token (mint: Flask judges both new tokens)",
		readme: "A refreshed access token expires with its refresh token at the latest",
	},
}

// fdLater are Flask's answers on a token freshtoken refuses while decoding
// it: Flask may accept it, or stop at a check freshtoken never reaches
// because the claims' shapes come first (an expired token with no jti is
// "expired" to Flask, "invalid" to freshtoken).
var fdLater = []fdClass{fdAccepted, fdWrongType, fdNotFresh, fdExpired, fdNotYetValid}

// fdIntended is one intended difference.
type fdIntended struct {
	name    string
	applies func(*fdCase) bool
	flask   []fdClass // Flask's class, one of these
	gox     fdClass   // freshtoken's class
	reason  string
	readme  string // must appear in docs/flask.md's list of where freshtoken is stricter
}

func fdTagged(tags ...string) func(*fdCase) bool {
	return func(c *fdCase) bool {
		for _, t := range tags {
			if slices.Contains(c.tags, t) {
				return true
			}
		}
		return false
	}
}

const (
	fdPython     = "/usr/bin/python3" // Debian's, with python3-flask and python3-python-flask-jwt-extended
	fdScript     = "testdata/flaskdiff/judge.py"
	fdRequireEnv = "FRESHTOKEN_REQUIRE_FLASK"   // set: a missing Flask fails instead of skipping
	fdLinesEnv   = "FRESHTOKEN_FLASKDIFF_LINES" // how many report lines to show (60)
	fdDumpEnv    = "FRESHTOKEN_FLASKDIFF_DUMP"  // a file to write every case to, one a line
	fdSeed1      = 0x5eed_f1a5_0000_0001
	fdSeed2      = 0x5eed_f1a5_0000_0002
	fdBase       = 1_700_000_000 // seconds: tokens are made around here
	fdSecret     = "flaskdiff-secret-0123456789abcdef-0123"
	fdOther      = "flaskdiff-another-secret-0123456789abcd"
	fdSecond     = int64(time.Second / time.Microsecond)
)

// fdClass is a verdict in terms both sides share.
type fdClass string

const (
	fdAccepted    fdClass = "accepted"
	fdExpired     fdClass = "expired"
	fdNotYetValid fdClass = "not_yet_valid"
	fdSignature   fdClass = "signature"
	fdWrongType   fdClass = "wrong_type"
	fdNotFresh    fdClass = "not_fresh"
	fdInvalid     fdClass = "invalid" // Flask's 422 family; ErrInvalidClaims and ErrMalformed
	fdUnknownKey  fdClass = "unknown_key"
	fdRevoked     fdClass = "revoked"
	fdCrash       fdClass = "crash" // Flask answered 500: an exception it does not handle
)

// fdFlaskClass reads Flask-JWT-Extended's default answers.
func fdFlaskClass(a fdAnswer) fdClass {
	switch {
	case a.Status == 200:
		return fdAccepted
	case a.Status == 401 && a.Msg == "Token has expired":
		return fdExpired
	case a.Status == 401 && a.Msg == "Fresh token required":
		return fdNotFresh
	case a.Status == 401 && a.Msg == "Token has been revoked":
		return fdRevoked
	case a.Status == 422 && strings.HasPrefix(a.Msg, "The token is not yet valid"):
		return fdNotYetValid // PyJWT's ImmatureSignatureError, (iat) or (nbf)
	case a.Status == 422 && a.Msg == "Signature verification failed":
		return fdSignature
	case a.Status == 422 && (a.Msg == "Only non-refresh tokens are allowed" || a.Msg == "Only refresh tokens are allowed"):
		return fdWrongType
	case a.Status == 422:
		return fdInvalid
	case a.Status == 500:
		return fdCrash
	}
	return fdClass(fmt.Sprintf("HTTP %d %q", a.Status, a.Msg))
}

// fdGoClass classifies a guard's error by its sentinel.
func fdGoClass(err error) fdClass {
	switch {
	case err == nil:
		return fdAccepted
	case errors.Is(err, ErrExpired):
		return fdExpired
	case errors.Is(err, ErrNotYetValid):
		return fdNotYetValid
	case errors.Is(err, ErrSignature):
		return fdSignature
	case errors.Is(err, ErrUnknownKey):
		return fdUnknownKey
	case errors.Is(err, ErrWrongType):
		return fdWrongType
	case errors.Is(err, ErrNotFresh):
		return fdNotFresh
	case errors.Is(err, ErrInvalidClaims), errors.Is(err, ErrMalformed):
		return fdInvalid
	case errors.Is(err, ErrRevoked):
		return fdRevoked
	}
	return fdClass("error: " + err.Error())
}

// fdConfig is one Flask app's configuration and its freshtoken twin. The
// JSON members are what judge.py reads.
type fdConfig struct {
	name            string
	Secret          string   `json:"secret"`
	IdentityClaim   string   `json:"identity_claim,omitempty"`
	Leeway          float64  `json:"leeway"` // seconds
	LeewayTimedelta bool     `json:"leeway_timedelta,omitempty"`
	Issuer          string   `json:"issuer,omitempty"`
	Audience        []string `json:"-"`
	// AudienceJSON is Audience as judge.py sets JWT_ENCODE_AUDIENCE and
	// JWT_DECODE_AUDIENCE: a string for one, a list for several, which is
	// how freshtoken writes "aud".
	AudienceJSON   any     `json:"audience,omitempty"`
	AccessExpires  float64 `json:"access_expires"` // seconds
	RefreshExpires float64 `json:"refresh_expires"`

	raw json.RawMessage
}

func (c *fdConfig) identity() string {
	if c.IdentityClaim == "" {
		return "sub"
	}
	return c.IdentityClaim
}

func (c *fdConfig) leewayUS() int64 { return int64(math.Round(c.Leeway * 1e6)) }

func (c *fdConfig) ttlUS(refresh bool) int64 {
	if refresh {
		return int64(c.RefreshExpires * 1e6)
	}
	return int64(c.AccessExpires * 1e6)
}

// manager is freshtoken's side of c, its clock stopped at at (µs).
func (c *fdConfig) manager(at int64, freshFor time.Duration) (*Manager, error) {
	return New(Config{
		Key:        []byte(c.Secret),
		Flask:      &FlaskOptions{IdentityClaim: c.IdentityClaim},
		Leeway:     time.Duration(c.leewayUS()) * time.Microsecond,
		Issuer:     c.Issuer,
		Audience:   c.Audience,
		AccessTTL:  time.Duration(c.ttlUS(false)) * time.Microsecond,
		RefreshTTL: time.Duration(c.ttlUS(true)) * time.Microsecond,
		FreshFor:   freshFor,
		Now:        func() time.Time { return time.UnixMicro(at) },
	})
}

// fdCase is one comparison.
type fdCase struct {
	kind   string // "judge", "mint" or "cross"
	family string // what was varied, for the report
	what   string // the variation
	tags   []string
	cfg    *fdConfig
	at     int64 // µs since the epoch
	atRef  string
	check  string // access, fresh, refresh, refresh_view
	token  string
	want   fdClass // cross: the verdict both sides must give
	// crossOnly: when both refresh, only the cross checks run, no mint
	// (the many hand-made variants of one refresh token make the same tokens)
	crossOnly bool

	flask fdAnswer
	goErr error
	goNew string // refresh_view: freshtoken's new access token

	// mint: the judge cases of Flask's token and of freshtoken's
	fromFlask, fromGo *fdCase
}

// verdicts are the two classes compared.
func (c *fdCase) verdicts() (flask, gox fdClass) {
	if c.kind == "mint" {
		return fdFlaskClass(c.fromFlask.flask), fdFlaskClass(c.fromGo.flask)
	}
	return fdFlaskClass(c.flask), fdGoClass(c.goErr)
}

func (c *fdCase) runGo(ctx context.Context) {
	m, err := c.cfg.manager(c.at, 0)
	if err != nil {
		c.goErr = fmt.Errorf("New: %w", err)
		return
	}
	switch c.check {
	case "access":
		_, c.goErr = m.RequireAccess(ctx, c.token)
	case "fresh":
		_, c.goErr = m.RequireFresh(ctx, c.token)
	case "refresh":
		_, c.goErr = m.RequireRefresh(ctx, c.token)
	case "refresh_view":
		var p *Pair
		if p, c.goErr = m.Refresh(ctx, c.token); c.goErr == nil {
			c.goNew = p.Access
		}
	default:
		c.goErr = fmt.Errorf("unknown check %q", c.check)
	}
}

func TestFlaskDifferential(t *testing.T) {
	fdCheckTable(t)
	t.Run("README", fdCheckREADME)
	fdRequireFlask(t)
	start := time.Now()
	j := fdStartJudge(t)
	ctx := context.Background()

	g := fdNewGen()
	g.generate(t)
	if len(g.issues) > 0 {
		answers := j.ask(t, g.issueRequests())
		for i, is := range g.issues {
			is.done(answers[i].Token)
		}
	}
	fdSanity(t, g)

	// Judge everything, then what the refreshes made.
	cases := g.cases
	j.judge(t, ctx, cases)
	derived := g.crossRefresh(cases)
	j.judge(t, ctx, derived)
	cases = append(cases, derived...)
	cases = append(cases, g.mints...)

	fdReport(t, cases, time.Since(start))
}

// fdCheckTable holds the table to its rule.
func fdCheckTable(t *testing.T) {
	t.Helper()
	for _, e := range flaskDiffIntended {
		switch {
		case e.gox == fdAccepted:
			t.Fatalf("intended difference %q has freshtoken accepting: the table may only list places where freshtoken is stricter", e.name)
		case slices.Contains(e.flask, e.gox):
			t.Fatalf("intended difference %q lists %s on both sides: that is no difference", e.name, e.gox)
		case e.readme == "" || e.reason == "" || e.applies == nil:
			t.Fatalf("intended difference %q needs applies, reason and readme", e.name)
		}
	}
}

// fdCheckREADME checks that docs/flask.md's list of where the Flask profile
// is stricter (the README links to it) has every entry of the table.
func fdCheckREADME(t *testing.T) {
	const doc = "docs/flask.md"
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "Where freshtoken is stricter"
	text := string(b)
	i := strings.Index(text, anchor)
	if i < 0 {
		t.Fatalf("%s has no %q: the Flask page must list where freshtoken is stricter", doc, anchor)
	}
	list := text[i:]
	if k := strings.Index(list, "\n#"); k >= 0 {
		list = list[:k]
	}
	list = strings.Join(strings.Fields(list), " ")
	for _, e := range flaskDiffIntended {
		if !strings.Contains(list, strings.Join(strings.Fields(e.readme), " ")) {
			t.Errorf("%s's list after %q lacks intended difference %q: want the text %q", doc, anchor, e.name, e.readme)
		}
	}
}

// fdRequireFlask skips without Flask-JWT-Extended, unless FRESHTOKEN_REQUIRE_FLASK is set.
func fdRequireFlask(t *testing.T) {
	t.Helper()
	probe := exec.Command(fdPython, "-c", "import flask, flask_jwt_extended")
	probe.Env = fdPythonEnv()
	if out, err := probe.CombinedOutput(); err != nil {
		if os.Getenv(fdRequireEnv) == "" {
			t.Skipf("%s cannot import flask_jwt_extended (%v: %s); install python3-flask and python3-python-flask-jwt-extended, or set %s to fail instead", fdPython, err, bytes.TrimSpace(out), fdRequireEnv)
		}
		t.Fatalf("%s is set, but %s cannot import flask_jwt_extended: %v: %s", fdRequireEnv, fdPython, err, out)
	}
}

// fdPythonEnv is this process's environment without what would point the
// Debian interpreter at another Python's modules.
func fdPythonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONPATH=") && !strings.HasPrefix(kv, "PYTHONHOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// fdJudge is the running judge.py.
type fdJudge struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *bytes.Buffer
}

func fdStartJudge(t *testing.T) *fdJudge {
	t.Helper()
	cmd := exec.Command(fdPython, fdScript)
	cmd.Env = fdPythonEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	j := &fdJudge{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<16), stderr: new(bytes.Buffer)}
	cmd.Stderr = j.stderr // read only after Wait
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s %s: %v", fdPython, fdScript, err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return j
}

// fdRequest is one line to judge.py.
type fdRequest struct {
	Op        string          `json:"op"`
	Config    json.RawMessage `json:"config"`
	InstantUS int64           `json:"instant_us"`
	Token     string          `json:"token,omitempty"`
	Check     string          `json:"check,omitempty"`

	Type              string         `json:"type,omitempty"`
	Identity          any            `json:"identity,omitempty"`
	Fresh             any            `json:"fresh,omitempty"`
	ExpiresDelta      any            `json:"expires_delta,omitempty"`
	AdditionalClaims  map[string]any `json:"additional_claims,omitempty"`
	AdditionalHeaders map[string]any `json:"additional_headers,omitempty"`
}

// fdAnswer is judge.py's answer.
type fdAnswer struct {
	Status int    `json:"status"`
	Msg    string `json:"msg"`
	Token  string `json:"token"`
	Error  string `json:"error"`
}

// ask sends all requests while reading the answers, so the pipes never fill.
func (j *fdJudge) ask(t *testing.T, reqs []fdRequest) []fdAnswer {
	t.Helper()
	kill := time.AfterFunc(60*time.Second, func() { j.cmd.Process.Kill() })
	defer kill.Stop()
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(j.stdin, 1<<16)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range reqs {
			if err := enc.Encode(&reqs[i]); err != nil {
				werr <- err
				return
			}
		}
		werr <- w.Flush()
	}()
	answers := make([]fdAnswer, len(reqs))
	for i := range answers {
		line, err := j.stdout.ReadBytes('\n')
		if err != nil {
			j.stdin.Close()
			j.cmd.Wait()
			t.Fatalf("judge.py stopped at request %d of %d (%v):\n%s", i+1, len(reqs), err, fdTail(j.stderr.String(), 3000))
		}
		if err := json.Unmarshal(line, &answers[i]); err != nil {
			t.Fatalf("judge.py answered %q: %v", line, err)
		}
		if answers[i].Error != "" {
			req, _ := json.Marshal(reqs[i])
			t.Fatalf("judge.py could not serve %s: %s", req, answers[i].Error)
		}
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing to judge.py: %v", err)
	}
	return answers
}

// judge has both sides judge every judge case.
func (j *fdJudge) judge(t *testing.T, ctx context.Context, cases []*fdCase) {
	t.Helper()
	var reqs []fdRequest
	var judged []*fdCase
	for _, c := range cases {
		if c.kind == "mint" {
			continue
		}
		reqs = append(reqs, fdRequest{Op: "check", Config: c.cfg.raw, InstantUS: c.at, Token: c.token, Check: c.check})
		judged = append(judged, c)
	}
	answers := j.ask(t, reqs)
	for i, c := range judged {
		c.flask = answers[i]
		c.runGo(ctx)
	}
}

func fdTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// fdSanity checks that Flask's clock really stood still: a token made at
// an instant carries that instant's second as iat.
func fdSanity(t *testing.T, g *fdGen) {
	t.Helper()
	if g.clockProbe == "" {
		t.Fatal("the generator made no clock probe")
	}
	claims := fdPeek(g.clockProbe)
	if got, want := claims["iat"], float64(g.clockProbeAt/fdSecond); got != want {
		t.Fatalf("Flask made a token at %d µs with iat %v, want %v: judge.py does not freeze the clock", g.clockProbeAt, got, want)
	}
}

// fdPeek decodes a token's claims without verifying it; nil if they do not decode.
func fdPeek(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(p, &m) != nil {
		return nil
	}
	return m
}

// fdPayloadText is a token's payload as text, for reports.
func fdPayloadText(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return fmt.Sprintf("token %q", fdCut(tok, 120))
	}
	p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		p, err = base64.URLEncoding.DecodeString(parts[1])
	}
	if err != nil {
		return fmt.Sprintf("payload %q (not base64url)", fdCut(parts[1], 100))
	}
	s := string(p)
	if !fdPrintable(s) {
		s = strconv.Quote(s)
	}
	if h, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "=")); err == nil && string(h) != `{"alg":"HS256","typ":"JWT"}` {
		s = "header " + strconv.Quote(string(h)) + " " + s
	}
	return fdCut(s, 260)
}

func fdPrintable(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || r < ' ' {
			return false
		}
	}
	return true
}

func fdCut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// fdStamp writes an instant in seconds with its microseconds.
func fdStamp(us int64) string {
	return fmt.Sprintf("%d.%06d", us/fdSecond, us%fdSecond)
}

// fdOffset names at relative to ref: "exp", "exp-1µs", "exp+0.5s".
func fdOffset(name string, ref, at int64) string {
	d := at - ref
	switch {
	case d == 0:
		return name
	case d > -1000 && d < 1000:
		return fmt.Sprintf("%s%+dµs", name, d)
	}
	s := strconv.FormatFloat(float64(d)/1e6, 'f', -1, 64)
	if d > 0 {
		s = "+" + s
	}
	return name + s + "s"
}

// The generator.

// fdGen makes the cases. Its randomness comes from one seeded PCG, so a
// run's cases are the same every time (apart from the random jti and csrf
// values that Flask and Issue draw themselves).
type fdGen struct {
	rng    *rand.Rand
	cfgs   map[string]*fdConfig
	cases  []*fdCase
	mints  []*fdCase
	issues []*fdIssue

	clockProbe   string
	clockProbeAt int64
}

// fdIssue is a token for Flask to make, and what to do with it.
type fdIssue struct {
	req  fdRequest
	done func(tok string)
}

func fdNewGen() *fdGen {
	g := &fdGen{rng: rand.New(rand.NewPCG(fdSeed1, fdSeed2)), cfgs: map[string]*fdConfig{}}
	for _, c := range []*fdConfig{
		{name: "plain"},
		{name: "leeway 0.5s", Leeway: 0.5},
		{name: "leeway 1.5s (timedelta)", Leeway: 1.5, LeewayTimedelta: true},
		{name: "leeway 2s", Leeway: 2},
		{name: "identity claim", IdentityClaim: "identity"},
		{name: "iss+aud", Issuer: "auth", Audience: []string{"api"}},
		{name: "iss+auds", Issuer: "auth", Audience: []string{"api", "web"}},
		{name: "short TTLs", AccessExpires: 60, RefreshExpires: 3600},
	} {
		if c.Secret == "" {
			c.Secret = fdSecret
		}
		if c.AccessExpires == 0 {
			c.AccessExpires, c.RefreshExpires = 900, 86400
		}
		switch len(c.Audience) {
		case 0:
		case 1:
			c.AudienceJSON = c.Audience[0]
		default:
			c.AudienceJSON = c.Audience
		}
		raw, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		c.raw = raw
		g.cfgs[c.name] = c
	}
	return g
}

func (g *fdGen) cfg(name string) *fdConfig {
	c, ok := g.cfgs[name]
	if !ok {
		panic("no config " + name)
	}
	return c
}

func (g *fdGen) generate(t *testing.T) {
	g.handMade()
	g.timeEdges()
	g.checkOrder()
	g.freshness()
	g.flaskMade()
	if err := g.goMade(); err != nil {
		t.Fatal(err)
	}
}

func (g *fdGen) issueRequests() []fdRequest {
	reqs := make([]fdRequest, len(g.issues))
	for i, is := range g.issues {
		reqs[i] = is.req
	}
	return reqs
}

// fdToken is a token to judge: every check at every instant.
type fdToken struct {
	family, what string
	tags         []string
	cfg          *fdConfig
	token        string
	checks       []string
	instants     []fdInstant
	crossOnly    bool
}

type fdInstant struct {
	us    int64
	label string
}

var (
	// An access token through the refresh view meets the same guard as
	// through "refresh", and a refresh token through "fresh" the same as
	// through "access": each token type skips the check that repeats.
	fdAccessChecks  = []string{"access", "fresh", "refresh"}
	fdRefreshChecks = []string{"refresh", "refresh_view", "access"}
	fdAllChecks     = []string{"access", "fresh", "refresh", "refresh_view"}
)

// add makes tok's judge cases and returns them, instant by instant, check by check.
func (g *fdGen) add(tok fdToken) [][]*fdCase {
	out := make([][]*fdCase, len(tok.instants))
	for i, in := range tok.instants {
		for _, check := range tok.checks {
			c := &fdCase{
				kind: "judge", family: tok.family, what: tok.what, tags: tok.tags, cfg: tok.cfg,
				at: in.us, atRef: in.label, check: check, token: tok.token, crossOnly: tok.crossOnly,
			}
			g.cases = append(g.cases, c)
			out[i] = append(out[i], c)
		}
	}
	return out
}

// pair judges a token made by each side and compares Flask's verdicts on them.
func (g *fdGen) pair(family, what string, tags []string, cfg *fdConfig, flaskTok, goTok string, checks []string, instants []fdInstant) {
	a := g.add(fdToken{family: family, what: what + " (Flask's token)", tags: tags, cfg: cfg, token: flaskTok, checks: checks, instants: instants})
	b := g.add(fdToken{family: family, what: what + " (freshtoken's token)", tags: tags, cfg: cfg, token: goTok, checks: checks, instants: instants})
	for i, in := range instants {
		for k, check := range checks {
			g.mints = append(g.mints, &fdCase{
				kind: "mint", family: family, what: what, tags: tags, cfg: cfg,
				at: in.us, atRef: in.label, check: check, fromFlask: a[i][k], fromGo: b[i][k],
			})
		}
	}
}

func (g *fdGen) uuid() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Hand-made tokens.

// fdMember is a claim as written: the name's JSON text between the quotes
// (escapes and all) and the value's JSON text.
type fdMember struct{ name, value string }

type fdClaims []fdMember

// with sets the first member named name, or appends one.
func (p fdClaims) with(name, value string) fdClaims {
	q := slices.Clone(p)
	for i := range q {
		if q[i].name == name {
			q[i].value = value
			return q
		}
	}
	return append(q, fdMember{name, value})
}

// rename renames the first member named name.
func (p fdClaims) rename(name, to string) fdClaims {
	q := slices.Clone(p)
	for i := range q {
		if q[i].name == name {
			q[i].name = to
			return q
		}
	}
	return q
}

func (p fdClaims) without(name string) fdClaims {
	return slices.DeleteFunc(slices.Clone(p), func(m fdMember) bool { return m.name == name })
}

// plus appends a member even if the name is there already.
func (p fdClaims) plus(name, value string) fdClaims {
	return append(slices.Clone(p), fdMember{name, value})
}

func (p fdClaims) bytes() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m.name + `":` + m.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

const fdHeader = `{"alg":"HS256","typ":"JWT"}`

func fdB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// fdSeal signs header.payload with HMAC (h: sha256.New unless given).
func fdSeal(secret, header, payload string, h func() hash.Hash) string {
	if h == nil {
		h = sha256.New
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + fdB64(mac.Sum(nil))
}

// sealed is an HS256 token of claims with the standard header.
func fdSealed(cfg *fdConfig, claims []byte) string {
	return fdSeal(cfg.Secret, fdB64([]byte(fdHeader)), fdB64(claims), nil)
}

func fdQ(s string) string { return strconv.Quote(s) }

func fdInt(n int64) string { return strconv.FormatInt(n, 10) }

// Lifetimes of hand-made tokens, in seconds. A refresh token lives no
// longer than AccessTTL, so that one whose type is changed to read as
// access is not also refused for its lifetime.
const (
	fdAccessLife  = 600
	fdRefreshLife = 900
)

// base is a token the way Flask-JWT-Extended writes it, issued at iat (seconds).
func (g *fdGen) base(cfg *fdConfig, refresh bool, iat int64) fdClaims {
	typ, fresh, life := "access", "true", int64(fdAccessLife)
	if refresh {
		typ, fresh, life = "refresh", "false", fdRefreshLife
	}
	c := fdClaims{
		{"fresh", fresh}, {"iat", fdInt(iat)}, {"jti", fdQ(g.uuid())}, {"type", fdQ(typ)},
		{cfg.identity(), `"alice"`}, {"nbf", fdInt(iat)},
	}
	if cfg.AudienceJSON != nil {
		aud, _ := json.Marshal(cfg.AudienceJSON)
		c = append(c, fdMember{"aud", string(aud)})
	}
	if cfg.Issuer != "" {
		c = append(c, fdMember{"iss", fdQ(cfg.Issuer)})
	}
	return append(c, fdMember{"exp", fdInt(iat + life)})
}

// fdMutation changes a base token's claims.
type fdMutation struct {
	family, what string
	tags         []string
	edit         func(fdClaims) fdClaims
}

func fdSet(family, name, value string, tags ...string) fdMutation {
	what := name + "=" + value
	if len(what) > 60 {
		what = what[:60] + "…"
	}
	return fdMutation{family, what, tags, func(c fdClaims) fdClaims { return c.with(name, value) }}
}

func fdDrop(family, name string, tags ...string) fdMutation {
	return fdMutation{family, "no " + name, tags, func(c fdClaims) fdClaims { return c.without(name) }}
}

// claimMutations are the changes to one claim's value (or name), for a
// token issued at iat.
func (g *fdGen) claimMutations(cfg *fdConfig, iat int64) []fdMutation {
	var ms []fdMutation
	for _, part := range [][]fdMutation{
		fdTimeMutations(iat),
		fdIdentityMutations(cfg.identity()),
		fdTypeMutations(iat),
		fdIssAudMutations(cfg),
		fdExtraMutations(),
		fdNameMutations(cfg.identity(), iat),
	} {
		ms = append(ms, part...)
	}
	return ms
}

// fdTimeMutations give exp, iat and nbf every JSON type, and drop claims.
func fdTimeMutations(iat int64) []fdMutation {
	var ms []fdMutation
	for _, tc := range []struct {
		name string
		v    int64
	}{{"exp", iat + fdAccessLife}, {"iat", iat}, {"nbf", iat}} {
		fam := "claim " + tc.name + ": JSON types"
		v := fdInt(tc.v)
		zero := []string(nil)
		if tc.name == "iat" {
			zero = []string{"lifetime"} // exp - 0 is beyond any TTL
		}
		ms = append(ms,
			fdSet(fam, tc.name, fdQ(v), "time-type"),
			fdSet(fam, tc.name, v+".5", "time-type"),
			fdSet(fam, tc.name, v+".0", "time-type"),
			fdSet(fam, tc.name, strconv.FormatFloat(float64(tc.v), 'e', -1, 64), "time-type"),
			fdSet(fam, tc.name, "-1", "time-type"),
			fdSet(fam, tc.name, "0", zero...),
			fdSet(fam, tc.name, "1e400", "time-type"),
			fdSet(fam, tc.name, "100000000000000000000", "time-type"),
			fdSet(fam, tc.name, "true", "time-type"),
			fdSet(fam, tc.name, "false", "time-type"),
			fdSet(fam, tc.name, "null", "time-type"),
			fdSet(fam, tc.name, "[]", "time-type"),
			fdSet(fam, tc.name, "{}", "time-type"),
			fdSet(fam, tc.name, "["+v+"]", "time-type"),
			fdSet(fam, tc.name, "NaN", "time-type", "nonjson"),
			fdSet(fam, tc.name, "Infinity", "time-type", "nonjson"),
			fdSet(fam, tc.name, "-Infinity", "time-type", "nonjson"),
		)
	}
	return ms
}

// fdIdentityMutations give the identity claim every JSON type and escapes,
// and take required claims away.
func fdIdentityMutations(id string) []fdMutation {
	ms := []fdMutation{
		fdDrop("missing claims", "exp", "exp-missing"), fdDrop("missing claims", "iat", "iat-missing"),
		fdDrop("missing claims", "nbf"), fdDrop("missing claims", "type"), fdDrop("missing claims", "fresh"),
		fdDrop("missing claims", "jti", "jti"), fdDrop("missing claims", id),
	}
	for _, v := range []string{`""`, `42`, `4.5`, `true`, `false`, `null`, `[]`, `["alice"]`, `{"id":"alice"}`} {
		ms = append(ms, fdSet("identity: JSON types", id, v, "identity-type"))
	}
	return append(ms,
		fdSet("identity: escapes", id, `"\ud800"`, "lone-surrogate"),
		fdSet("identity: escapes", id, `"\udc00x"`, "lone-surrogate"),
		fdSet("identity: escapes", id, `"\u0061lice"`),
		fdSet("identity: escapes", id, `"al\"ice\/"`),
		fdSet("identity: escapes", id, `"\ud83d\ude00"`),
		fdSet("identity: escapes", id, `"é"`),
	)
}

// fdTypeMutations vary jti, type, fresh and csrf.
func fdTypeMutations(iat int64) []fdMutation {
	var ms []fdMutation
	add := func(fam, name string, tag string, values ...string) {
		for _, v := range values {
			if tag == "" {
				ms = append(ms, fdSet(fam, name, v))
			} else {
				ms = append(ms, fdSet(fam, name, v, tag))
			}
		}
	}
	add("claim jti: JSON types", "jti", "jti", `""`, `42`, `null`, `["x"]`, `{}`, `true`)
	add("claim jti: JSON types", "jti", "", `"\u0078yz"`)
	add("claim type: escapes", "type", "type-escaped", `"\u0061ccess"`, `"\u0072efresh"`, `"acc\u0065ss"`)
	add("claim type: values", "type", "type-value", `"Access"`, `"other"`, `""`, `42`, `null`, `true`, `["refresh"]`)
	add("claim fresh: values", "fresh", "", `true`, `false`, `0`, `1`, `-1`, fdInt(iat+100), fdInt(iat+100)+".25",
		fdInt(iat)+".5", fdInt(iat+100)+".0", `1000000000000000000000000000000`, `1e308`, `-0.0`, `1.7e9`)
	add("claim fresh: JSON types", "fresh", "fresh-type", `"true"`, `"1"`, `null`, `[]`, `{}`, `[true]`)
	add("claim fresh: beyond float64", "fresh", "fresh-huge", `1e400`, `-1e400`)
	add("claim fresh: NaN/Infinity", "fresh", "nonjson", `NaN`, `Infinity`, `-Infinity`)
	add("claim csrf (headers: Flask ignores it)", "csrf", "", `"x"`)
	add("claim csrf (headers: Flask ignores it)", "csrf", "csrf-type", `""`, `42`, `null`, `[]`, `true`, `{}`)
	return ms
}

// fdIssAudMutations vary iss and aud, configured or not.
func fdIssAudMutations(cfg *fdConfig) []fdMutation {
	var ms []fdMutation
	if cfg.Issuer == "" {
		fam := "iss/aud when none is configured"
		ms = append(ms, fdSet(fam, "iss", `"auth"`), fdSet(fam, "aud", `"api"`), fdSet(fam, "aud", `["a","b"]`))
		for _, v := range []string{`""`, `42`, `null`, `[]`, `{}`, `true`, `["auth"]`} {
			ms = append(ms, fdSet(fam, "iss", v, "iss-unconfigured"))
		}
		for _, v := range []string{`""`, `42`, `null`, `[]`, `["a",1]`, `{}`, `true`, `[null]`, `["a",null]`, `[[]]`, `[""]`} {
			ms = append(ms, fdSet(fam, "aud", v, "aud-unconfigured"))
		}
		return ms
	}
	fam := "iss/aud configured"
	ms = append(ms, fdDrop(fam, "iss"), fdDrop(fam, "aud"))
	for _, v := range []string{`"other"`, `42`, `null`, `["auth"]`, `""`} {
		ms = append(ms, fdSet(fam, "iss", v))
	}
	// Flask-JWT-Extended (PyJWT 2.6) accepts an "aud" string, or list of
	// strings, that shares a value with JWT_DECODE_AUDIENCE, and refuses
	// a missing or empty one and any other JSON type, a list holding a
	// null or a number among them.
	for _, v := range []string{`"other"`, `["x","api"]`, `["api"]`, `[]`, `["api",1]`, `42`, `""`, `null`,
		`"web"`, `["web"]`, `["x","web","y"]`, `["api","web"]`, `"API"`, `[""]`, `{}`, `true`, `[null]`,
		`["api",null]`, `[null,"api"]`, `["api",["api"]]`, `[["api"]]`, `["api",{}]`, `["api",false]`, `"api"`, `["api"]`} {
		ms = append(ms, fdSet(fam, "aud", v))
	}
	return ms
}

// fdExtraMutations add application claims of every JSON type.
func fdExtraMutations() []fdMutation {
	const fam = "application claims"
	var ms []fdMutation
	for _, m := range []struct {
		fdMember
		tags []string
	}{
		{fdMember{"roles", `["admin","dev"]`}, nil}, {fdMember{"n", `1.5`}, nil}, {fdMember{"i", `-7`}, nil},
		{fdMember{"o", `{"k":[1,null,{"z":"é"}]}`}, nil}, {fdMember{"b", `false`}, nil}, {fdMember{"z", `null`}, nil},
		{fdMember{"big", `123456789012345678901234567890`}, nil}, {fdMember{"neg", `-0`}, nil}, {fdMember{"e", `1E+2`}, nil},
		{fdMember{"s", `"\ud83d\ude00 \u00e9 \/"`}, nil}, {fdMember{"u", `"\ud800"`}, []string{"lone-surrogate"}},
		{fdMember{"prénom", `"raw UTF-8 name"`}, nil},
		{fdMember{"deep", strings.Repeat("[", 40) + strings.Repeat("]", 40)}, nil},
		{fdMember{"huge", `1e400`}, []string{"number-out-of-range"}},
		{fdMember{"nan", `NaN`}, []string{"nonjson"}},
	} {
		ms = append(ms, fdMutation{fam, m.name + "=" + m.value, m.tags, func(c fdClaims) fdClaims { return c.plus(m.name, m.value) }})
	}
	return append(ms,
		fdMutation{fam, "pad=9000 bytes", []string{"oversize"}, func(c fdClaims) fdClaims { return c.plus("pad", fdQ(strings.Repeat("x", 9000))) }},
		fdMutation{fam, "sub next to the identity claim", nil, func(c fdClaims) fdClaims { return c.with("sub", `"bob"`) }},
	)
}

// fdNameMutations write names with escapes, and names twice.
func fdNameMutations(id string, iat int64) []fdMutation {
	fam := "escaped member names"
	ms := []fdMutation{
		{fam, `"\u0074ype" for "type"`, []string{"escaped-name"}, func(c fdClaims) fdClaims { return c.rename("type", `\u0074ype`) }},
		{fam, `"\u0065xp" for "exp"`, []string{"escaped-name"}, func(c fdClaims) fdClaims { return c.rename("exp", `\u0065xp`) }},
		{fam, "escaped identity claim name", []string{"escaped-name"}, func(c fdClaims) fdClaims {
			return c.rename(id, fmt.Sprintf(`\u%04x`, id[0])+id[1:])
		}},
		{fam, `"pr\u00e9nom" (as PyJWT writes "prénom")`, []string{"escaped-name"}, func(c fdClaims) fdClaims { return c.plus(`pr\u00e9nom`, `"x"`) }},
		{fam, `"fresh" plus "\u0066resh"`, []string{"escaped-name", "duplicate"}, func(c fdClaims) fdClaims { return c.plus(`\u0066resh`, `false`) }},
	}
	fam = "duplicate members"
	return append(ms,
		fdMutation{fam, `type twice (access, refresh)`, []string{"duplicate"}, func(c fdClaims) fdClaims { return c.with("type", `"access"`).plus("type", `"refresh"`) }},
		fdMutation{fam, `type twice (refresh, access)`, []string{"duplicate"}, func(c fdClaims) fdClaims { return c.with("type", `"refresh"`).plus("type", `"access"`) }},
		fdMutation{fam, `identity twice`, []string{"duplicate"}, func(c fdClaims) fdClaims { return c.plus(id, `"mallory"`) }},
		fdMutation{fam, `exp twice (past, then future)`, []string{"duplicate"}, func(c fdClaims) fdClaims {
			return c.with("exp", fdInt(iat-10)).plus("exp", fdInt(iat+fdAccessLife))
		}},
		fdMutation{fam, `exp twice (future, then past)`, []string{"duplicate"}, func(c fdClaims) fdClaims { return c.plus("exp", fdInt(iat-10)) }},
		fdMutation{fam, `an application claim twice`, []string{"duplicate"}, func(c fdClaims) fdClaims { return c.plus("x", "1").plus("x", "2") }},
	)
}

// handMade judges base tokens with each mutation, at one instant well
// inside their lives, with every check.
func (g *fdGen) handMade() {
	iat := int64(fdBase)
	mid := []fdInstant{{(iat+10)*fdSecond + 250_000, "iat+10.25s"}}
	for _, name := range []string{"plain", "identity claim", "iss+aud", "iss+auds"} {
		cfg := g.cfg(name)
		for _, refresh := range []bool{false, true} {
			base := g.base(cfg, refresh, iat)
			kind, checks := "access", fdAccessChecks
			if refresh {
				kind, checks = "refresh", fdRefreshChecks
			}
			for _, m := range g.claimMutations(cfg, iat) {
				if name != "plain" && !strings.HasPrefix(m.family, "iss/aud") && !strings.HasPrefix(m.family, "identity") &&
					m.family != "missing claims" && m.family != "application claims" {
					continue // the other configurations only for what they change
				}
				g.add(fdToken{
					family: m.family, what: m.what + " [" + kind + "]", tags: m.tags, cfg: cfg,
					token: fdSealed(cfg, m.edit(base).bytes()), checks: checks, instants: mid,
					crossOnly: m.family != "application claims", // Refresh copies those: compare the results
				})
			}
			g.add(fdToken{family: "base tokens", what: kind + " token, " + name, cfg: cfg,
				token: fdSealed(cfg, base.bytes()), checks: checks, instants: mid})
		}
	}
	cfg := g.cfg("plain")
	base := g.base(cfg, false, iat)
	for _, p := range g.payloads(base) {
		g.add(fdToken{family: p.family, what: p.what, tags: p.tags, cfg: cfg, token: fdSealed(cfg, p.bytes), checks: fdAllChecks, instants: mid})
	}
	for _, h := range g.shapes(cfg, base) {
		g.add(fdToken{family: h.family, what: h.what, tags: h.tags, cfg: cfg, token: h.token, checks: fdAllChecks, instants: mid})
	}
}

type fdRaw struct {
	family, what string
	tags         []string
	bytes        []byte
	token        string
}

// payloads are the base token's claims in other encodings and broken JSON.
func (g *fdGen) payloads(base fdClaims) []fdRaw {
	js := base.bytes()
	utf16Of := func(b []byte, big bool) []byte {
		var out []byte
		for _, u := range utf16.Encode([]rune(string(b))) {
			if big {
				out = binary.BigEndian.AppendUint16(out, u)
			} else {
				out = binary.LittleEndian.AppendUint16(out, u)
			}
		}
		return out
	}
	utf32Of := func(b []byte, big bool) []byte {
		var out []byte
		for _, r := range string(b) {
			if big {
				out = binary.BigEndian.AppendUint32(out, uint32(r))
			} else {
				out = binary.LittleEndian.AppendUint32(out, uint32(r))
			}
		}
		return out
	}
	enc := "payload encoding"
	bad := "payload not a JSON object"
	withTab := slices.Clone(js)
	withTab = append(withTab[:len(withTab)-1], []byte(",\"t\":\"a\tb\"}")...)
	badUTF8 := append(js[:len(js)-1:len(js)-1], []byte(",\"t\":\"a\xffb\"}")...)
	return []fdRaw{
		{family: enc, what: "UTF-8 with a byte-order mark", tags: []string{"encoding"}, bytes: append([]byte("\xef\xbb\xbf"), js...)},
		{family: enc, what: "UTF-16LE", tags: []string{"encoding"}, bytes: utf16Of(js, false)},
		{family: enc, what: "UTF-16BE", tags: []string{"encoding"}, bytes: utf16Of(js, true)},
		{family: enc, what: "UTF-16 with a byte-order mark", tags: []string{"encoding"}, bytes: append([]byte{0xff, 0xfe}, utf16Of(js, false)...)},
		{family: enc, what: "UTF-32LE", tags: []string{"encoding"}, bytes: utf32Of(js, false)},
		{family: enc, what: "UTF-32BE", tags: []string{"encoding"}, bytes: utf32Of(js, true)},
		{family: enc, what: "whitespace around the object", bytes: append(append([]byte(" \n\t"), js...), " \r\n"...)},
		{family: enc, what: "invalid UTF-8 in a string", bytes: badUTF8},
		{family: enc, what: "a raw tab in a string", bytes: withTab},
		{family: bad, what: "[]", bytes: []byte("[]")},
		{family: bad, what: "null", bytes: []byte("null")},
		{family: bad, what: `"x"`, bytes: []byte(`"x"`)},
		{family: bad, what: "truncated", bytes: js[:len(js)-1]},
		{family: bad, what: "trailing garbage", bytes: append(slices.Clone(js), 'x')},
		{family: bad, what: "trailing comma", bytes: append(js[:len(js)-1:len(js)-1], ",}"...)},
		{family: bad, what: "two objects", bytes: append(slices.Clone(js), js...)},
		{family: bad, what: "{}", bytes: []byte("{}")},
	}
}

// shapes are the base token with other headers, signatures and base64.
func (g *fdGen) shapes(cfg *fdConfig, base fdClaims) []fdRaw {
	p := fdB64(base.bytes())
	h := fdB64([]byte(fdHeader))
	hdr := func(what, header string, tags ...string) fdRaw {
		return fdRaw{family: "header", what: what, tags: tags, token: fdSeal(cfg.Secret, fdB64([]byte(header)), p, nil)}
	}
	good := fdSeal(cfg.Secret, h, p, nil)
	sig := good[strings.LastIndexByte(good, '.')+1:]
	input := good[:strings.LastIndexByte(good, '.')]

	// The last of 43 characters carries 4 bits and 2 unused ones.
	last := strings.IndexByte(fdAlphabet, sig[len(sig)-1])
	stray := input + "." + sig[:len(sig)-1] + string(fdAlphabet[last^1])
	// A payload with padding: grow it with whitespace until it needs some.
	js := base.bytes()
	for len(js)%3 == 0 {
		js = append(js[:len(js)-1:len(js)-1], " }"...)
	}
	padded := base64.URLEncoding.EncodeToString(js)
	plusSlash := strings.NewReplacer("-", "+", "_", "/").Replace(sig)
	flip := []byte(sig)
	flip[0] = fdAlphabet[(strings.IndexByte(fdAlphabet, flip[0])+1)%64]

	out := []fdRaw{
		hdr("no typ", `{"alg":"HS256"}`, "header"),
		hdr(`typ "jwt"`, `{"alg":"HS256","typ":"jwt"}`, "header"),
		hdr(`typ "at+jwt"`, `{"alg":"HS256","typ":"at+jwt"}`, "header"),
		hdr("an unknown parameter", `{"alg":"HS256","typ":"JWT","x":1}`, "header"),
		hdr("crit", `{"alg":"HS256","crit":["exp"],"typ":"JWT"}`, "header"),
		hdr(`escaped "\u0061lg"`, `{"\u0061lg":"HS256","typ":"JWT"}`, "header"),
		hdr("alg twice", `{"alg":"HS256","alg":"HS256","typ":"JWT"}`, "header"),
		hdr("a byte-order mark", "\xef\xbb\xbf"+fdHeader, "header"),
		hdr("typ before alg", `{"typ":"JWT","alg":"HS256"}`),
		hdr("whitespace", ` {"alg": "HS256", "typ": "JWT"} `),
		hdr("b64 false", `{"alg":"HS256","b64":false,"typ":"JWT"}`, "header"),
		hdr("a kid no key has", `{"alg":"HS256","kid":"k1","typ":"JWT"}`, "kid"),
		hdr("alg RS256 (HMAC signature)", `{"alg":"RS256","typ":"JWT"}`, "alg"),
		hdr("alg none (HMAC signature)", `{"alg":"none","typ":"JWT"}`, "alg"),
		hdr("alg null", `{"alg":null,"typ":"JWT"}`),
		hdr("header not an object", `["HS256"]`),
		{family: "header", what: "alg HS512, signed so", tags: []string{"alg"},
			token: fdSeal(cfg.Secret, fdB64([]byte(`{"alg":"HS512","typ":"JWT"}`)), p, sha512.New)},
		{family: "header", what: "alg HS384, signed so", tags: []string{"alg"},
			token: fdSeal(cfg.Secret, fdB64([]byte(`{"alg":"HS384","typ":"JWT"}`)), p, sha512.New384)},
		{family: "header", what: "alg none, no signature", token: fdB64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + p + "."},
		{family: "signature", what: "another secret", token: fdSeal(fdOther, h, p, nil)},
		{family: "signature", what: "one character changed", token: input + "." + string(flip)},
		{family: "signature", what: "truncated", token: input + "." + sig[:len(sig)-2]},
		{family: "signature", what: "empty", tags: []string{"empty-signature"}, token: input + "."},
		{family: "signature", what: "two parts", token: input},
		{family: "signature", what: "four parts", token: good + "." + sig},
		{family: "base64url", what: "signature with padding", tags: []string{"canonical"}, token: good + "="},
		{family: "base64url", what: "signature with stray trailing bits", tags: []string{"canonical"}, token: stray},
		{family: "base64url", what: "payload with padding", tags: []string{"canonical"}, token: fdSeal(cfg.Secret, h, padded, nil)},
		{family: "base64url", what: `a "!" inside the payload`, tags: []string{"canonical"}, token: fdSeal(cfg.Secret, h, p[:10]+"!"+p[10:], nil)},
	}
	if plusSlash != sig {
		out = append(out, fdRaw{family: "base64url", what: "signature in +/ base64", tags: []string{"canonical"}, token: input + "." + plusSlash})
	}
	return out
}

const fdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// timeEdges judges hand-made tokens at instants around exp, nbf and iat,
// with each leeway.
func (g *fdGen) timeEdges() {
	iat := int64(fdBase + 1000)
	for _, name := range []string{"plain", "leeway 0.5s", "leeway 1.5s (timedelta)", "leeway 2s"} {
		cfg := g.cfg(name)
		L := cfg.leewayUS()
		fam := "edges, " + name
		near := func(ref int64, label string, offs []int64) []fdInstant {
			var out []fdInstant
			seen := map[int64]bool{}
			for _, d := range offs {
				if !seen[d] {
					seen[d] = true
					out = append(out, fdInstant{ref + d, fdOffset(label, ref, ref+d)})
				}
			}
			return out
		}
		// After exp: expired once now ≥ exp + leeway.
		after := []int64{-fdSecond, -fdSecond / 2, -1, 0, 1, fdSecond / 2, fdSecond, L - 1, L, L + 1, L - fdSecond/2, L + fdSecond/2, L + fdSecond}
		for _, f := range []int64{100_000, 300_000, 700_000, 900_000} {
			after = append(after, L+f-fdSecond, L+f)
		}
		// Before iat/nbf: not yet valid while iat/nbf > now + leeway.
		before := []int64{-L - fdSecond, -L - fdSecond/2, -L - 1, -L, -L + 1, -L + fdSecond/2, -fdSecond / 2, -1, 0, fdSecond / 4}
		for _, f := range []int64{100_000, 300_000, 700_000, 900_000} {
			before = append(before, -L-f, -L+f-fdSecond)
		}

		acc := g.base(cfg, false, iat)
		exp := (iat + fdAccessLife) * fdSecond
		g.add(fdToken{family: fam, what: "access token at exp", cfg: cfg, token: fdSealed(cfg, acc.bytes()),
			checks: []string{"access", "fresh"}, instants: near(exp, "exp", after)})
		ref := g.base(cfg, true, iat)
		rexp := (iat + fdRefreshLife) * fdSecond
		g.add(fdToken{family: fam, what: "refresh token at exp", cfg: cfg, token: fdSealed(cfg, ref.bytes()),
			checks: []string{"refresh", "refresh_view"}, instants: near(rexp, "exp", after)})

		at := iat * fdSecond
		g.add(fdToken{family: fam, what: "iat = nbf in the future", cfg: cfg, token: fdSealed(cfg, acc.bytes()),
			checks: []string{"access"}, instants: near(at, "iat", before)})
		g.add(fdToken{family: fam, what: "nbf in the future, iat 60s ago", cfg: cfg,
			token: fdSealed(cfg, acc.with("iat", fdInt(iat-60)).bytes()), checks: []string{"access"}, instants: near(at, "nbf", before)})
		g.add(fdToken{family: fam, what: "iat in the future, no nbf", cfg: cfg,
			token: fdSealed(cfg, acc.without("nbf").bytes()), checks: []string{"access"}, instants: near(at, "iat", before)})
		g.add(fdToken{family: fam, what: "refresh token, iat = nbf in the future", cfg: cfg, token: fdSealed(cfg, ref.bytes()),
			checks: []string{"refresh_view"}, instants: near(at, "iat", before[:6])})
	}
}

// checkOrder judges tokens with two faults, to see which one each side reports.
func (g *fdGen) checkOrder() {
	iat := int64(fdBase + 5000)
	exp := iat + fdAccessLife
	late := []fdInstant{{(exp+5)*fdSecond + 500_000, "exp+5.5s"}}
	for _, name := range []string{"plain", "iss+aud"} {
		cfg := g.cfg(name)
		acc := g.base(cfg, false, iat)
		ref := g.base(cfg, true, iat).with("exp", fdInt(exp))
		fam := "check order, " + name
		add := func(what string, c fdClaims, in []fdInstant, tags ...string) {
			g.add(fdToken{family: fam, what: what, tags: tags, cfg: cfg, token: fdSealed(cfg, c.bytes()), checks: fdAllChecks, instants: in})
		}
		add("expired, no identity", acc.without(cfg.identity()), late)
		add("expired, nbf in the future", acc.with("iat", fdInt(exp-100)).with("nbf", fdInt(exp+100)), late)
		add("expired, iat in the future", acc.with("iat", fdInt(exp+100)).without("nbf"), late)
		add("expired refresh token", ref, late)
		add("expired, no jti", acc.without("jti"), late, "jti")
		add("expired, identity 42", acc.with(cfg.identity(), "42"), late, "identity-type")
		add("expired, type other", acc.with("type", `"other"`), late, "type-value")
		add("expired, fresh \"x\"", acc.with("fresh", `"x"`), late, "fresh-type")
		add("expired, iat a string", acc.with("iat", fdQ(fdInt(iat))), late, "time-type")
		g.add(fdToken{family: fam, what: "expired, another secret", cfg: cfg,
			token: fdSeal(fdOther, fdB64([]byte(fdHeader)), fdB64(acc.bytes()), nil), checks: []string{"access"}, instants: late})
		if cfg.Issuer != "" {
			early := []fdInstant{{(iat-30)*fdSecond + 250_000, "iat-29.75s"}}
			add("expired, another issuer", acc.with("iss", `"other"`), late)
			add("expired, no audience", acc.without("aud"), late)
			add("not yet valid, another issuer", acc.with("iss", `"other"`), early)
			add("not yet valid, another audience", acc.with("aud", `"other"`), early)
		}
	}
}

// freshness judges fresh claims that are times, at instants around them.
func (g *fdGen) freshness() {
	cfg := g.cfg("plain")
	iat := int64(fdBase + 7000)
	for _, f := range []struct {
		text string
		us   int64
	}{
		{fdInt(iat+300) + ".25", (iat+300)*fdSecond + 250_000},
		{fdInt(iat + 300), (iat + 300) * fdSecond},
		{fdInt(iat+300) + ".0", (iat + 300) * fdSecond},
		{fdInt(iat+300) + ".123456", (iat+300)*fdSecond + 123_456},
		{fdInt(iat+300) + ".000001", (iat+300)*fdSecond + 1},
		{fdInt(iat+300) + ".999999", (iat+300)*fdSecond + 999_999},
		{strconv.FormatFloat(float64(iat+300)+0.5, 'e', -1, 64), (iat+300)*fdSecond + 500_000},
	} {
		var in []fdInstant
		for _, d := range []int64{-fdSecond / 2, -1, 0, 1, fdSecond / 2} {
			in = append(in, fdInstant{f.us + d, fdOffset("fresh", f.us, f.us+d)})
		}
		tok := fdSealed(cfg, g.base(cfg, false, iat).with("fresh", f.text).bytes())
		g.add(fdToken{family: "freshness windows", what: "fresh=" + f.text, cfg: cfg, token: tok, checks: []string{"fresh", "access"}, instants: in})
		for _, lee := range []string{"leeway 2s"} { // freshness has no leeway
			c := g.cfg(lee)
			g.add(fdToken{family: "freshness windows", what: "fresh=" + f.text + ", " + lee, cfg: c,
				token: fdSealed(c, g.base(c, false, iat).with("fresh", f.text).bytes()), checks: []string{"fresh"}, instants: in[1:4]})
		}
	}
}

// issue asks Flask for a token; done gets it once Flask has answered.
func (g *fdGen) issue(cfg *fdConfig, at int64, req fdRequest, done func(string)) {
	req.Op, req.Config, req.InstantUS = "issue", cfg.raw, at
	if req.Identity == nil {
		req.Identity = "alice"
	}
	g.issues = append(g.issues, &fdIssue{req: req, done: done})
}

// tokenInstants are the instants worth judging made tokens at: when they
// were made, a little later, and the edges of their exp, nbf and fresh.
// With two tokens (Flask's, then freshtoken's) each edge says whose it is.
func (g *fdGen) tokenInstants(cfg *fdConfig, made int64, toks ...string) []fdInstant {
	L := cfg.leewayUS()
	var out []fdInstant
	seen := map[int64]bool{}
	put := func(us int64, label string) {
		if !seen[us] {
			seen[us] = true
			out = append(out, fdInstant{us, label})
		}
	}
	put(made, "made")
	put(made+1, "made+1µs")
	put(made+10*fdSecond+250_000, "made+10.25s")
	for i, tok := range toks {
		who := ""
		if len(toks) > 1 {
			who = []string{"Flask's ", "freshtoken's "}[i]
		}
		c := fdPeek(tok)
		if e, ok := c["exp"].(float64); ok && math.Abs(e) < 1e12 {
			ref := int64(e) * fdSecond
			for _, d := range []int64{-1, 0, 1, L / 2, L - 1, L, L + 1} {
				put(ref+d, fdOffset(who+"exp", ref, ref+d))
			}
		}
		if f, ok := c["fresh"].(float64); ok && math.Abs(f) < 1e12 {
			ref := int64(math.Round(f * 1e6))
			for _, d := range []int64{-1, 0, 1} {
				put(ref+d, fdOffset(who+"fresh", ref, ref+d))
			}
		}
		if n, ok := c["nbf"].(float64); ok && math.Abs(n) < 1e12 && int64(n)*fdSecond > made {
			ref := int64(n) * fdSecond
			for _, d := range []int64{-L - 1, -L, 0} {
				put(ref+d, fdOffset(who+"nbf", ref, ref+d))
			}
		}
	}
	slices.SortFunc(out, func(a, b fdInstant) int { return cmp.Compare(a.us, b.us) })
	return out
}

// fdFlaskSpec is a token for Flask to make: create_access_token or
// create_refresh_token with these arguments.
type fdFlaskSpec struct {
	what string
	tags []string
	req  fdRequest
}

func fdSeconds(s float64) map[string]any { return map[string]any{"seconds": s} }

// fdPyFloat stands for float(s) in Python: "nan", "inf", "1e400".
func fdPyFloat(s string) map[string]any { return map[string]any{"$float": s} }

// fdFlaskBasics are the tokens a Flask app makes every day.
var fdFlaskBasics = []fdFlaskSpec{
	{"access, fresh=True", nil, fdRequest{Type: "access", Fresh: true}},
	{"access, fresh=False", nil, fdRequest{Type: "access", Fresh: false}},
	{"refresh", nil, fdRequest{Type: "refresh"}},
	{"access, fresh=timedelta(60s)", nil, fdRequest{Type: "access", Fresh: fdSeconds(60)}},
	{"access, fresh=timedelta(0.5s)", nil, fdRequest{Type: "access", Fresh: fdSeconds(0.5)}},
	{"access, fresh=timedelta(300.000001s)", nil, fdRequest{Type: "access", Fresh: fdSeconds(300.000001)}},
}

// fdFlaskOptions are tokens made with Flask's other options, for a token
// made at the second now (for claims that are times).
func fdFlaskOptions(now int64) []fdFlaskSpec {
	var specs []fdFlaskSpec
	for _, d := range []float64{1, 0.5, 0.000001, -1, -1.5, 899.999999, 900} {
		specs = append(specs, fdFlaskSpec{fmt.Sprintf("access, expires_delta=%gs", d), nil, fdRequest{Type: "access", Fresh: true, ExpiresDelta: d}})
	}
	claims := func(what string, tag string, typ string, c map[string]any) fdFlaskSpec {
		var tags []string
		if tag != "" {
			tags = []string{tag}
		}
		req := fdRequest{Type: typ, AdditionalClaims: c}
		if typ == "access" {
			req.Fresh = true // additional_claims may override it
		}
		return fdFlaskSpec{what, tags, req}
	}
	return append(specs,
		fdFlaskSpec{"access, expires_delta=901s", []string{"lifetime"}, fdRequest{Type: "access", Fresh: true, ExpiresDelta: 901}},
		fdFlaskSpec{"access, expires_delta=365 days", []string{"lifetime"}, fdRequest{Type: "access", Fresh: true, ExpiresDelta: 365 * 86400}},
		fdFlaskSpec{"access, expires_delta=timedelta(0): no exp", []string{"exp-missing"}, fdRequest{Type: "access", Fresh: true, ExpiresDelta: 0.0}},
		fdFlaskSpec{"access, expires_delta=False: no exp", []string{"exp-missing"}, fdRequest{Type: "access", Fresh: true, ExpiresDelta: false}},
		fdFlaskSpec{"refresh, expires_delta=60s", nil, fdRequest{Type: "refresh", ExpiresDelta: 60}},
		fdFlaskSpec{"refresh, expires_delta=-1s", nil, fdRequest{Type: "refresh", ExpiresDelta: -1}},
		fdFlaskSpec{"refresh, expires_delta=86401s", []string{"lifetime"}, fdRequest{Type: "refresh", ExpiresDelta: 86401}},
		claims("access, claims of every JSON type", "", "access", map[string]any{
			"roles": []any{"admin", "dev"}, "n": 1.5, "i": -7, "o": map[string]any{"k": []any{1, nil}}, "b": true, "z": nil,
			"s": "é \u2028 </script>", "big": json.Number("1000000000000000000000000000000"), "f": 1e300,
		}),
		claims("refresh, claims of every JSON type", "", "refresh", map[string]any{
			"roles": []any{"admin"}, "n": 2.5, "o": map[string]any{}, "b": false, "z": nil, "s": "ü",
		}),
		claims(`access, claim "prénom" (written "pr\u00e9nom")`, "escaped-name", "access", map[string]any{"prénom": "x"}),
		claims("access, claim NaN", "nonjson", "access", map[string]any{"n": fdPyFloat("nan")}),
		claims("access, claim Infinity", "nonjson", "access", map[string]any{"n": fdPyFloat("inf")}),
		claims("access, fresh overridden with NaN", "nonjson", "access", map[string]any{"fresh": fdPyFloat("nan")}),
		claims("access, fresh overridden with 1e400 (inf)", "nonjson", "access", map[string]any{"fresh": fdPyFloat("1e400")}),
		claims(`access, fresh overridden with "yes"`, "fresh-type", "access", map[string]any{"fresh": "yes"}),
		claims(`access, type overridden with "other"`, "type-value", "access", map[string]any{"type": "other"}),
		claims(`access, jti overridden with ""`, "jti", "access", map[string]any{"jti": ""}),
		claims("access, iss 42 (none configured)", "iss-unconfigured", "access", map[string]any{"iss": 42}),
		claims("access, csrf 42", "csrf-type", "access", map[string]any{"csrf": 42}),
		claims("access, nbf 100s ahead", "", "access", map[string]any{"nbf": now + 100}),
		claims("access, exp a float", "time-type", "access", map[string]any{"exp": float64(now) + 100.5}),
		claims("access, iat a string", "time-type", "access", map[string]any{"iat": fdInt(now)}),
		fdFlaskSpec{`access, header kid "k1"`, []string{"kid"}, fdRequest{Type: "access", Fresh: true, AdditionalHeaders: map[string]any{"kid": "k1"}}},
		fdFlaskSpec{`access, header x5u`, []string{"header"}, fdRequest{Type: "access", Fresh: true, AdditionalHeaders: map[string]any{"x5u": "https://example.com/k"}}},
		fdFlaskSpec{"access, identity 42", []string{"identity-type"}, fdRequest{Type: "access", Fresh: true, Identity: 42}},
		fdFlaskSpec{`access, identity ""`, []string{"identity-type"}, fdRequest{Type: "access", Fresh: true, Identity: ""}},
		fdFlaskSpec{`access, identity {"id": 1}`, []string{"identity-type"}, fdRequest{Type: "access", Fresh: true, Identity: map[string]any{"id": 1}}},
		fdFlaskSpec{"refresh, identity 42", []string{"identity-type"}, fdRequest{Type: "refresh", Identity: 42}},
		fdFlaskSpec{`access, identity "é"`, nil, fdRequest{Type: "access", Fresh: true, Identity: "é"}},
	)
}

// flaskMade judges tokens Flask made: the everyday ones in each
// configuration, the other options in the plain one.
func (g *fdGen) flaskMade() {
	made := int64(fdBase+9000)*fdSecond + 654_321
	// The clock probe: the token's iat must be this instant's second.
	g.issue(g.cfg("plain"), made, fdRequest{Type: "access"}, func(tok string) { g.clockProbe, g.clockProbeAt = tok, made })

	judge := func(family string, cfg *fdConfig, at int64, s fdFlaskSpec) {
		checks := fdAccessChecks
		if s.req.Type == "refresh" {
			checks = fdRefreshChecks
		}
		g.issue(cfg, at, s.req, func(tok string) {
			g.add(fdToken{family: family, what: s.what, tags: s.tags, cfg: cfg, token: tok,
				checks: checks, instants: g.tokenInstants(cfg, at, tok)})
		})
	}
	for _, name := range []string{"plain", "leeway 0.5s", "identity claim", "iss+aud", "iss+auds", "short TTLs"} {
		for i, s := range fdFlaskBasics {
			judge("Flask-made, "+name, g.cfg(name), made+int64(i)*7*fdSecond+g.rng.Int64N(fdSecond), s)
		}
	}
	for i, s := range fdFlaskOptions(made / fdSecond) {
		judge("Flask-made, options", g.cfg("plain"), made+100*fdSecond+int64(i)*3*fdSecond+g.rng.Int64N(fdSecond), s)
	}
}

// goMade makes tokens with Issue and the same with Flask at the same
// instant; both are judged by both sides, and Flask's verdicts on the two
// are compared (mint). Both refresh tokens also go through both refreshes.
func (g *fdGen) goMade() error {
	ctx := context.Background()
	made := int64(fdBase+20000) * fdSecond
	claims := map[string]any{"roles": []any{"admin", "dev"}, "n": 1.5, "o": map[string]any{"k": []any{1, nil}}, "b": true, "z": nil, "s": "é"}
	for i, s := range []struct {
		cfg      string
		frac     int64 // µs past the second
		freshFor float64
		claims   map[string]any
	}{
		{"plain", 0, 0, nil},
		{"plain", 999_999, 60, nil},
		{"plain", 500_000, 0.5, nil},
		{"plain", 1, 300, nil},
		{"plain", 250_000, 0, claims},
		{"plain", -1, 0, nil}, // -1: a random fraction
		{"leeway 0.5s", 750_000, 0, nil},
		{"leeway 2s", 999_999, 60, nil},
		{"identity claim", 123_456, 0, nil},
		{"identity claim", 600_000, 60, nil},
		{"iss+aud", 0, 0, nil},
		{"iss+aud", 400_000, 60, nil},
		{"iss+auds", 0, 0, nil},
		{"iss+auds", 700_000, 60, nil},
		{"short TTLs", 900_000, 0, nil},
		{"short TTLs", 300_000, 30, nil},
	} {
		cfg := g.cfg(s.cfg)
		frac := s.frac
		if frac < 0 {
			frac = g.rng.Int64N(fdSecond)
		}
		at := made + int64(i)*10_000*fdSecond + frac
		freshFor := time.Duration(s.freshFor * float64(time.Second))
		m, err := cfg.manager(at, freshFor)
		if err != nil {
			return fmt.Errorf("New for %s: %w", s.cfg, err)
		}
		var opts []IssueOption
		if s.claims != nil {
			opts = append(opts, WithClaims(s.claims))
		}
		pair, err := m.Issue(ctx, "alice", opts...)
		if err != nil {
			return fmt.Errorf("Issue for %s: %w", s.cfg, err)
		}
		var fresh any = true
		what := "Issue"
		if s.freshFor > 0 {
			fresh = map[string]any{"seconds": s.freshFor}
			what += fmt.Sprintf(" with FreshFor %gs / fresh=timedelta(%gs)", s.freshFor, s.freshFor)
		}
		what += " at " + fdOffset("second", at-frac, at)
		if s.claims != nil {
			what += ", with claims"
		}
		fam := "issue, " + s.cfg
		g.issue(cfg, at, fdRequest{Type: "access", Fresh: fresh, AdditionalClaims: s.claims}, func(tok string) {
			g.pair(fam, "access token, "+what, nil, cfg, tok, pair.Access, []string{"access", "fresh", "refresh"},
				g.tokenInstants(cfg, at, tok, pair.Access))
		})
		g.issue(cfg, at, fdRequest{Type: "refresh", AdditionalClaims: s.claims}, func(tok string) {
			in := g.tokenInstants(cfg, at, tok, pair.Refresh)
			// Refresh where Refresh caps the new token at the refresh token's exp.
			if e, ok := fdPeek(tok)["exp"].(float64); ok {
				ref := int64(e) * fdSecond
				in = append(in, fdInstant{ref - 30*fdSecond + 100_000, fdOffset("exp", ref, ref-30*fdSecond+100_000)})
			}
			g.pair(fam, "refresh token, "+what, nil, cfg, tok, pair.Refresh, []string{"refresh", "refresh_view", "access"}, in)
		})
	}
	return nil
}

// crossRefresh takes each refresh both sides granted and judges the two new
// access tokens: each side must take the other's as a valid, non-fresh
// access token (cross), and Flask must judge the two alike later in their
// lives (mint).
func (g *fdGen) crossRefresh(cases []*fdCase) []*fdCase {
	var out []*fdCase
	for _, c := range cases {
		if c.kind != "judge" || c.check != "refresh_view" || c.flask.Status != 200 || c.goErr != nil {
			continue
		}
		newF, newG := c.flask.Token, c.goNew
		for _, side := range []struct{ who, tok string }{{"Flask's", newF}, {"freshtoken's", newG}} {
			for _, w := range []struct {
				check string
				want  fdClass
			}{{"access", fdAccepted}, {"fresh", fdNotFresh}} {
				out = append(out, &fdCase{
					kind: "cross", family: "cross refresh", what: side.who + " refresh of " + c.what,
					tags: c.tags, cfg: c.cfg, at: c.at, atRef: c.atRef, check: w.check, token: side.tok, want: w.want,
				})
			}
		}
		if c.crossOnly {
			continue
		}
		// Later in the new tokens' lives, Flask judges both.
		var tags []string
		rexp, _ := fdPeek(c.token)["exp"].(float64)
		if int64(rexp)*fdSecond < (c.at/fdSecond)*fdSecond+c.cfg.ttlUS(false) {
			tags = []string{"refreshed-capped"}
		}
		var in []fdInstant
		seen := map[int64]bool{c.at: true}
		for i, tok := range []string{newF, newG} {
			if e, ok := fdPeek(tok)["exp"].(float64); ok {
				ref := int64(e) * fdSecond
				for _, d := range []int64{-1, 0} {
					if !seen[ref+d] {
						seen[ref+d] = true
						in = append(in, fdInstant{ref + d, fdOffset([]string{"Flask's new exp", "freshtoken's new exp"}[i], ref, ref+d)})
					}
				}
			}
		}
		slices.SortFunc(in, func(a, b fdInstant) int { return cmp.Compare(a.us, b.us) })
		what := "refresh of " + c.what + " at " + c.atRef
		fam := "refresh (mint), " + c.cfg.name
		n := len(g.cases)
		g.pair(fam, what, tags, c.cfg, newF, newG, []string{"access"}, in)
		out = append(out, g.cases[n:]...)
	}
	return out
}

// The report.

// fdGroup is the unexpected differences of one family where freshtoken
// gave one class.
type fdGroup struct {
	key      string
	cases    []*fdCase
	flask    map[fdClass]int // Flask's classes and how often
	order    []fdClass
	whats    []string
	goAccept bool // freshtoken accepted what Flask refused: never intended
}

// fdTally is every case's outcome.
type fdTally struct {
	cases    int
	agree    int
	kinds    map[string]int
	intended map[string]int
	groups   []*fdGroup
	byKey    map[string]*fdGroup
	dump     bytes.Buffer
}

// fdOutcome compares c's verdicts: agreed, the intended difference that
// covers them, or a problem.
func fdOutcome(c *fdCase) (f, gx fdClass, e *fdIntended, problem string) {
	f, gx = c.verdicts()
	switch {
	case c.want != "" && (f != c.want || gx != c.want):
		return f, gx, nil, "both must say " + string(c.want)
	case f == gx:
		return f, gx, nil, ""
	}
	if e = fdMatch(c, f, gx); e != nil {
		return f, gx, e, ""
	}
	return f, gx, nil, "unexpected"
}

func (ty *fdTally) add(c *fdCase) {
	ty.cases++
	ty.kinds[c.kind]++
	f, gx, e, problem := fdOutcome(c)
	verdict := "agree"
	switch {
	case e != nil:
		verdict = "intended: " + e.name
		ty.intended[e.name]++
	case problem != "":
		verdict = problem
		ty.addProblem(c, f, gx, problem)
	default:
		ty.agree++
	}
	fmt.Fprintf(&ty.dump, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t", verdict, c.kind, c.cfg.name, c.family, c.what, fdStamp(c.at), c.atRef, c.check, f, gx)
	if c.kind == "mint" {
		fmt.Fprintf(&ty.dump, "%s\t%s\n", fdPayloadText(c.fromFlask.token), fdPayloadText(c.fromGo.token))
		return
	}
	fmt.Fprintf(&ty.dump, "%s\t%d %q\t%v\n", fdPayloadText(c.token), c.flask.Status, c.flask.Msg, c.goErr)
}

func (ty *fdTally) addProblem(c *fdCase, f, gx fdClass, problem string) {
	key := fmt.Sprintf("[%s] %s: freshtoken %s", c.kind, c.family, gx)
	if c.kind == "mint" {
		key = fmt.Sprintf("[mint] %s: Flask on freshtoken's token %s", c.family, gx)
	}
	if problem != "unexpected" {
		key += " (" + problem + ")"
	}
	gr := ty.byKey[key]
	if gr == nil {
		gr = &fdGroup{key: key, flask: map[fdClass]int{}}
		ty.byKey[key] = gr
		ty.groups = append(ty.groups, gr)
	}
	gr.cases = append(gr.cases, c)
	if gr.flask[f] == 0 {
		gr.order = append(gr.order, f)
	}
	gr.flask[f]++
	gr.goAccept = gr.goAccept || (gx == fdAccepted && f != fdAccepted)
	if !slices.Contains(gr.whats, c.what) {
		gr.whats = append(gr.whats, c.what)
	}
}

// fdReport logs the summary and fails the test on every problem.
func fdReport(t *testing.T, cases []*fdCase, took time.Duration) {
	t.Helper()
	ty := &fdTally{kinds: map[string]int{}, intended: map[string]int{}, byKey: map[string]*fdGroup{}}
	for _, c := range cases {
		ty.add(c)
	}
	if name := os.Getenv(fdDumpEnv); name != "" {
		if err := os.WriteFile(name, ty.dump.Bytes(), 0o644); err != nil {
			t.Errorf("writing %s: %v", name, err)
		}
	}
	var problems int
	for _, gr := range ty.groups {
		problems += len(gr.cases)
	}
	var names []string
	for _, e := range flaskDiffIntended {
		names = append(names, fmt.Sprintf("%s: %d", e.name, ty.intended[e.name]))
	}
	t.Logf("%d cases (%d judge, %d mint, %d cross) in %v: %d agree, %d intended differences, %d unexpected",
		ty.cases, ty.kinds["judge"], ty.kinds["mint"], ty.kinds["cross"], took.Round(time.Millisecond),
		ty.agree, ty.cases-ty.agree-problems, problems)
	t.Logf("intended differences: %s", strings.Join(names, "; "))
	for _, e := range flaskDiffIntended {
		if ty.intended[e.name] == 0 {
			t.Errorf("intended difference %q never occurred: the generator lost its cases, or freshtoken no longer differs (then drop the entry and its line in docs/flask.md)", e.name)
		}
	}
	if len(ty.groups) > 0 {
		t.Error(fdRender(ty.groups, problems))
	}
}

// fdRender lists the groups, freshtoken accepting what Flask refuses first
// (that is never intended), each with one example, in at most
// FRESHTOKEN_FLASKDIFF_LINES (60) lines.
func fdRender(groups []*fdGroup, problems int) string {
	slices.SortStableFunc(groups, func(a, b *fdGroup) int {
		switch {
		case a.goAccept == b.goAccept:
			return 0
		case a.goAccept:
			return -1
		}
		return 1
	})
	limit := 60
	if n, err := strconv.Atoi(os.Getenv(fdLinesEnv)); err == nil && n > 0 {
		limit = n
	}
	var lines []string
	for _, gr := range groups {
		mark := ""
		switch {
		case gr.goAccept && strings.HasPrefix(gr.key, "[mint]"):
			mark = "FRESHTOKEN'S TOKEN PASSES WHERE FLASK'S OWN FAILS: "
		case gr.goAccept:
			mark = "FRESHTOKEN ACCEPTS WHAT FLASK REFUSES: "
		}
		var fl []string
		for _, f := range gr.order {
			fl = append(fl, fmt.Sprintf("%s ×%d", f, gr.flask[f]))
		}
		flaskSide := "Flask"
		if strings.HasPrefix(gr.key, "[mint]") {
			flaskSide = "Flask on its own token"
		}
		whats := gr.whats
		more := ""
		if len(whats) > 4 {
			more = fmt.Sprintf(", +%d more", len(whats)-4)
			whats = whats[:4]
		}
		lines = append(lines, fmt.Sprintf("%s%s; %s %s — %s%s", mark, gr.key, flaskSide, strings.Join(fl, ", "), strings.Join(whats, "; "), more))
		lines = append(lines, fdExample(gr.cases[0])...)
	}
	shown := lines
	if len(shown) > limit {
		shown = shown[:limit]
	}
	msg := fmt.Sprintf("%d differences in %d groups that flaskDiffIntended does not cover (each group, then one example):\n%s",
		problems, len(groups), strings.Join(shown, "\n"))
	if len(lines) > len(shown) {
		msg += fmt.Sprintf("\n… and %d more lines (set %s=N to see more, %s=file for every case)", len(lines)-len(shown), fdLinesEnv, fdDumpEnv)
	}
	return msg
}

// fdMatch finds the intended difference that covers c.
func fdMatch(c *fdCase, f, gx fdClass) *fdIntended {
	if c.want != "" || gx == fdAccepted {
		return nil
	}
	for i := range flaskDiffIntended {
		e := &flaskDiffIntended[i]
		if gx == e.gox && slices.Contains(e.flask, f) && e.applies(c) {
			return e
		}
	}
	return nil
}

// fdExample is one case of a group, in three lines.
func fdExample(c *fdCase) []string {
	head := fmt.Sprintf("    e.g. %s: config %q, at %s (%s), check %s", c.what, c.cfg.name, fdStamp(c.at), c.atRef, c.check)
	if c.kind == "mint" {
		return []string{
			head,
			"      Flask's token: " + fdPayloadText(c.fromFlask.token) + fmt.Sprintf(" → %d %q", c.fromFlask.flask.Status, c.fromFlask.flask.Msg),
			"      freshtoken's:  " + fdPayloadText(c.fromGo.token) + fmt.Sprintf(" → %d %q", c.fromGo.flask.Status, c.fromGo.flask.Msg),
		}
	}
	goText := "accepted"
	if c.goErr != nil {
		goText = c.goErr.Error()
	}
	return []string{
		head,
		"      payload " + fdPayloadText(c.token),
		fmt.Sprintf("      Flask: %d %q | freshtoken: %s", c.flask.Status, fdCut(c.flask.Msg, 100), fdCut(goText, 140)),
	}
}

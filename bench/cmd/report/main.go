// Command report turns the output of the freshtoken benchmarks (go test
// -bench, repeated) into RESULTS.md: the median of every case, the ratios of
// freshtoken to golang-jwt, jwx and the bare signature primitives, the
// issue's targets, and a bar chart of the ratios.
//
//	go run ./cmd/report -o RESULTS.md -chart ratios.png bench-output.txt...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "RESULTS.md", "markdown file to write")
	chart := flag.String("chart", "ratios.png", "bar chart to write, next to the markdown file's links")
	goVersion := flag.String("go", runtime.Version(), "Go version the benchmarks ran with")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: report [-o RESULTS.md] [-chart ratios.png] bench-output.txt...")
	}
	rs := newResults()
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		if err := rs.read(f); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		f.Close()
	}
	if len(rs.samples) == 0 {
		log.Fatal("no benchmark lines in the input")
	}
	rep := newReport(rs, *goVersion)
	var md strings.Builder
	rep.markdown(&md, filepath.Base(*chart))
	if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := writeChart(*chart, rep.chartPanels()); err != nil {
		log.Fatal(err)
	}
}

// A key names one benchmark case: Benchmark<group>/<alg>/<name>, run with
// procs as GOMAXPROCS.
type key struct {
	group, alg, name string
	procs            int
}

// sample is one run of one case.
type sample struct{ ns, bytes, allocs, perEntry float64 }

type results struct {
	samples map[key][]sample
	order   []key // first-seen order
	cpu     string
	goos    string
	goarch  string
}

func newResults() *results { return &results{samples: map[key][]sample{}} }

var procsSuffix = regexp.MustCompile(`^(.*)-(\d+)$`)

// read parses go test -bench -benchmem output.
func (rs *results) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "cpu: "):
			rs.cpu = strings.TrimPrefix(line, "cpu: ")
		case strings.HasPrefix(line, "goos: "):
			rs.goos = strings.TrimPrefix(line, "goos: ")
		case strings.HasPrefix(line, "goarch: "):
			rs.goarch = strings.TrimPrefix(line, "goarch: ")
		case strings.HasPrefix(line, "Benchmark"):
			k, s, ok := parseLine(line)
			if !ok {
				continue
			}
			if _, seen := rs.samples[k]; !seen {
				rs.order = append(rs.order, k)
			}
			rs.samples[k] = append(rs.samples[k], s)
		}
	}
	return sc.Err()
}

func parseLine(line string) (key, sample, bool) {
	f := strings.Fields(line)
	if len(f) < 4 {
		return key{}, sample{}, false
	}
	name, procs := f[0], 1
	if m := procsSuffix.FindStringSubmatch(name); m != nil {
		name = m[1]
		procs, _ = strconv.Atoi(m[2])
	}
	parts := strings.SplitN(strings.TrimPrefix(name, "Benchmark"), "/", 3)
	if len(parts) != 3 {
		return key{}, sample{}, false
	}
	k := key{group: parts[0], alg: parts[1], name: parts[2], procs: procs}
	var s sample
	var haveNs bool
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			s.ns, haveNs = v, true
		case "B/op":
			s.bytes = v
		case "allocs/op":
			s.allocs = v
		case "B/entry":
			s.perEntry = v
		}
	}
	return k, s, haveNs
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// stat is a case's medians.
type stat struct {
	ns, bytes, allocs, perEntry float64
	runs                        int
}

type report struct {
	rs        *results
	goVersion string
	stats     map[key]stat
	procs     int // GOMAXPROCS of the sequential runs
}

func newReport(rs *results, goVersion string) *report {
	r := &report{rs: rs, goVersion: goVersion, stats: map[key]stat{}}
	for k, ss := range rs.samples {
		var ns, b, a, e []float64
		for _, s := range ss {
			ns, b, a, e = append(ns, s.ns), append(b, s.bytes), append(a, s.allocs), append(e, s.perEntry)
		}
		r.stats[k] = stat{ns: median(ns), bytes: median(b), allocs: median(a), perEntry: median(e), runs: len(ss)}
		if k.group == "Verify" {
			r.procs = k.procs
		}
	}
	return r
}

func (r *report) get(group, alg, name string) (stat, bool) {
	s, ok := r.stats[key{group, alg, name, r.procs}]
	return s, ok
}

// A comparison sets one freshtoken case against what users would
// otherwise run for the same job.
type comparison struct {
	group, label, freshtoken string
	golangJWT, typed, jwx    string
	raw                      string
}

var comparisons = []comparison{
	{"Verify", "RequireFresh", "freshtoken-RequireFresh", "golang-jwt-MapClaims", "golang-jwt-struct", "jwx-Parse", "raw"},
	{"Verify", "RequireAccess", "freshtoken-RequireAccess", "golang-jwt-MapClaims", "golang-jwt-struct", "jwx-Parse", "raw"},
	{"Verify", "RequireFresh, one application claim", "freshtoken-RequireFresh-app-claim", "golang-jwt-MapClaims-app-claim", "", "", ""},
	{"Verify", "RequireFresh, cache hit", "freshtoken-RequireFresh-cache-hit", "golang-jwt-MapClaims", "golang-jwt-struct", "jwx-Parse", "raw"},
	{"Verify", "RequireFresh, cache miss", "freshtoken-RequireFresh-cache-miss", "golang-jwt-MapClaims", "golang-jwt-struct", "jwx-Parse", "raw"},
	{"Issue", "Issue (pair)", "freshtoken-Issue", "golang-jwt-SignedString-x2", "", "jwx-Sign-x2", "raw"},
	{"Refresh", "Refresh", "freshtoken-Refresh", "golang-jwt-Parse+SignedString", "", "jwx-Parse+Sign", "raw"},
}

var algorithms = []string{"HS256", "EdDSA", "ES256"}

// ratio is freshtoken's median time over the other case's, or NaN.
func (r *report) ratio(group, alg, ft, other string) float64 {
	if other == "" {
		return math.NaN()
	}
	a, ok1 := r.get(group, alg, ft)
	b, ok2 := r.get(group, alg, other)
	if !ok1 || !ok2 || b.ns == 0 {
		return math.NaN()
	}
	return a.ns / b.ns
}

// A target is one of the goals, checked against this run.
type target struct {
	what  string
	value float64
	limit float64
	less  bool // strictly below limit, rather than at most
	unit  string
	miss  string // why the target can be missed, printed when it is
}

func (t target) met() bool {
	if math.IsNaN(t.value) {
		return false
	}
	if t.less {
		return t.value < t.limit
	}
	return t.value <= t.limit
}

func (r *report) targets() []target {
	worstHit := math.NaN()
	for _, alg := range algorithms {
		if v := r.ratio("Verify", alg, "freshtoken-RequireFresh-cache-hit", "golang-jwt-MapClaims"); !(v <= worstHit) {
			worstHit = v
		}
	}
	ts := []target{
		{"RequireFresh HS256 / golang-jwt Parse (MapClaims)", r.ratio("Verify", "HS256", "freshtoken-RequireFresh", "golang-jwt-MapClaims"), 0.6, false, "×", ""},
		{"RequireFresh EdDSA / bare ed25519.Verify", r.ratio("Verify", "EdDSA", "freshtoken-RequireFresh", "raw"), 1.10, false, "×", ""},
		{"Issue EdDSA / two bare ed25519.Sign", r.ratio("Issue", "EdDSA", "freshtoken-Issue", "raw"), 1.15, false, "×", ""},
	}
	for _, alg := range algorithms {
		worst := math.NaN()
		for _, c := range []string{"freshtoken-RequireFresh", "freshtoken-RequireAccess"} {
			if s, ok := r.get("Verify", alg, c); ok && !(s.allocs <= worst) {
				worst = s.allocs
			}
		}
		what := "allocations per guard call (RequireFresh, RequireAccess), " + alg
		if raw, ok := r.get("Verify", alg, "raw"); ok && raw.allocs > 0 {
			what += fmt.Sprintf(" (the bare primitive alone makes %.0f)", raw.allocs)
		}
		t := target{what, worst, 10, false, "", ""}
		if alg == "ES256" {
			t.miss = "ES256 allocations: freshtoken's own parse makes two per call (the claims, and the text their strings share); " +
				"the rest are jwx's ES256 verifier, which freshtoken keeps for the cryptography: it takes the signature apart into " +
				"big integers for crypto/ecdsa.Verify, which encodes them back to ASN.1 for the same check as the bare " +
				"`ecdsa.VerifyASN1` case, itself making the allocations shown beside it (as profiled with -memprofile)."
		}
		ts = append(ts, t)
	}
	return append(ts, target{"cached RequireFresh / golang-jwt Parse (MapClaims; worst algorithm)", worstHit, 0.1, true, "×", ""})
}

func (r *report) markdown(w *strings.Builder, chart string) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# freshtoken benchmarks\n\n")
	p("Written by `run.sh` (do not edit by hand). Every figure is the median of %d runs; ", r.runs())
	p("all libraries verify and sign the same tokens, with the same keys, claims and clock ")
	p("(`go test` in this directory checks that each one accepts what it is timed on).\n\n")
	p("| machine | |\n|---|---|\n")
	p("| CPU | %s |\n", r.cpu())
	p("| cores | %d (GOMAXPROCS %d for the sequential runs) |\n", runtime.NumCPU(), r.procs)
	p("| OS/arch | %s/%s |\n", r.rs.goos, r.rs.goarch)
	p("| Go | %s |\n", r.goVersion)
	p("| date | %s |\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		p("| load average when written | %s |\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	p("\n")

	p("## Targets\n\n| target | measured | limit | met |\n|---|---:|---:|:-:|\n")
	var missed []string
	for _, t := range r.targets() {
		if !t.met() {
			why := t.miss
			if why == "" && t.unit == "×" {
				why = fmt.Sprintf("%s: %s. Timing ratios move by several percent from run to run when other processes share the cores "+
					"(see the load average above); rerun on a quiet machine before drawing conclusions.", t.what, fmtRatio(t.value, t.unit))
			}
			if why == "" {
				why = t.what
			}
			missed = append(missed, why)
		}
		op := "≤"
		if t.less {
			op = "<"
		}
		met := "no"
		if t.met() {
			met = "yes"
		}
		p("| %s | %s | %s %s | %s |\n", t.what, fmtRatio(t.value, t.unit), op, fmtRatio(t.limit, t.unit), met)
	}
	p("\n")
	if len(missed) > 0 {
		p("Missed in this run:\n\n")
		for _, m := range missed {
			p("- %s\n", m)
		}
		p("\n")
	}

	p("## Ratios (freshtoken time / other time; below 1 means freshtoken is faster)\n\n")
	p("![ratios](%s)\n\n", chart)
	p("| freshtoken | alg | vs golang-jwt | vs golang-jwt (typed claims) | vs jwx | vs raw crypto |\n")
	p("|---|---|---:|---:|---:|---:|\n")
	for _, c := range comparisons {
		for _, alg := range algorithms {
			if _, ok := r.get(c.group, alg, c.freshtoken); !ok {
				continue
			}
			p("| %s | %s | %s | %s | %s | %s |\n", c.label, alg,
				fmtRatio(r.ratio(c.group, alg, c.freshtoken, c.golangJWT), "×"),
				fmtRatio(r.ratio(c.group, alg, c.freshtoken, c.typed), "×"),
				fmtRatio(r.ratio(c.group, alg, c.freshtoken, c.jwx), "×"),
				fmtRatio(r.ratio(c.group, alg, c.freshtoken, c.raw), "×"))
		}
	}
	p("\nThe golang-jwt and jwx cases check what `RequireFresh` checks that they can express ")
	p("(signature, algorithm, `exp`, `iat`, `iss`, `aud`, then `type` and `fresh` by hand); ")
	p("their sign cases write the same header and claims, two tokens per login like `Issue`. ")
	p("The raw cases are the bare primitive alone on the same signing input: one HMAC, ")
	p("`ed25519.Verify`, or SHA-256 plus `ecdsa.VerifyASN1` (two signatures for a login; ")
	p("one verification and one signature for a refresh).\n\n")

	p("## Every case\n\n| operation | alg | case | ns/op | B/op | allocs/op |\n|---|---|---|---:|---:|---:|\n")
	for _, k := range r.rs.order {
		if k.procs != r.procs || k.group == "ParallelVerify" {
			continue
		}
		s := r.stats[k]
		p("| %s | %s | %s | %s | %.0f | %.0f |\n", k.group, k.alg, k.name, fmtNs(s.ns), s.bytes, s.allocs)
	}
	p("\n")

	r.parallelSection(p)
	r.storeSection(p)

	p("## Rerun\n\n```sh\ncd bench && ./run.sh   # ROUNDS=7 BENCHTIME=150ms by default\n```\n")
}

func (r *report) runs() int {
	n := 0
	for _, s := range r.stats {
		n = max(n, s.runs)
	}
	return n
}

func (r *report) cpu() string {
	if r.rs.cpu != "" {
		return r.rs.cpu
	}
	return "unknown"
}

// parallelSection shows the guards under b.RunParallel, one column per
// GOMAXPROCS the run used.
func (r *report) parallelSection(p func(string, ...any)) {
	var procs []int
	var names []key
	for _, k := range r.rs.order {
		if k.group != "ParallelVerify" {
			continue
		}
		if !slices.Contains(procs, k.procs) {
			procs = append(procs, k.procs)
		}
		k.procs = 0
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(procs)
	p("## Guards on several cores (b.RunParallel)\n\n")
	p("ns/op is wall time per call with all goroutines running; it falls as cores are added when the guard scales. ")
	p("Calls of a microsecond or less scale less than linearly here: each one allocates the claims it returns, ")
	p("and at millions of calls a second the garbage collector takes a large share of the cores.\n\n")
	p("| alg | case |")
	for _, n := range procs {
		p(" ns/op, %d core(s) |", n)
	}
	if len(procs) > 1 {
		p(" speed-up |")
	}
	p("\n|---|---|%s", strings.Repeat("---:|", len(procs)))
	if len(procs) > 1 {
		p("---:|")
	}
	p("\n")
	for _, k := range names {
		p("| %s | %s |", k.alg, k.name)
		var first, last float64
		for i, n := range procs {
			k.procs = n
			s, ok := r.stats[k]
			if !ok {
				p(" |")
				continue
			}
			if i == 0 {
				first = s.ns
			}
			last = s.ns
			p(" %s |", fmtNs(s.ns))
		}
		if len(procs) > 1 {
			p(" %.2f× |", first/last)
		}
		p("\n")
	}
	p("\n")
}

// storeSection shows the revocation store's costs, from benchmarks named
// BenchmarkStore/<store>/<case>: bytes per revoked entry, lookups on a
// store of a million entries, and the guard with and without such a store.
func (r *report) storeSection(p func(string, ...any)) {
	p("## Revocation store\n\n")
	var rows []key
	procs := 0
	for _, k := range r.rs.order {
		if k.group == "Store" && (procs == 0 || k.procs == procs) {
			procs = k.procs
			rows = append(rows, k)
		}
	}
	if len(rows) == 0 {
		p("Not measured in this run.\n\n")
		return
	}
	p("Every guard asks the store whether the token, its session or its subject was revoked. ")
	p("`revoke-1M` fills a store with one million revoked IDs (half 22-character token IDs, half 33-character session IDs); ")
	p("its ns/op is the time for the whole million, and B/entry the heap it keeps per entry, the ID included. ")
	p("The lookups then run on that store: a hit is a revoked token, a miss an unrevoked one (every request's case), ")
	p("`-parallel` under b.RunParallel on %d cores. ", procs)
	p("The last two rows are the whole `RequireAccess` (HS256) with the empty store every Manager has by default and with the million-entry store.\n\n")
	p("| store | case | ns/op | B/op | allocs/op | B/entry |\n|---|---|---:|---:|---:|---:|\n")
	for _, k := range rows {
		s := r.stats[k]
		entry := ""
		if s.perEntry > 0 {
			entry = fmt.Sprintf("%.0f", s.perEntry)
		}
		p("| %s | %s | %s | %.0f | %.0f | %s |\n", k.alg, k.name, fmtNs(s.ns), s.bytes, s.allocs, entry)
	}
	p("\n")
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtRatio(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	if unit == "" {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if v < 0.1 {
		return fmt.Sprintf("%.3f%s", v, unit)
	}
	return fmt.Sprintf("%.2f%s", v, unit)
}

package freshtoken

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// validObject must accept exactly the JSON objects json.Valid accepts that
// are also valid UTF-8 and escape no lone surrogate.
func jsonValidObject(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return json.Valid(b) && utf8.Valid(b) && len(t) > 0 && t[0] == '{' && !loneSurrogate(b)
}

// loneSurrogate reports whether valid JSON b escapes a UTF-16 surrogate
// that is not part of a high-low pair, which decoders turn into U+FFFD.
func loneSurrogate(b []byte) bool {
	var units []rune // the \u escapes in a row, in the current run
	lone := func() bool {
		for i := 0; i < len(units); i++ {
			switch r := units[i]; {
			case 0xD800 <= r && r <= 0xDBFF && i+1 < len(units) && 0xDC00 <= units[i+1] && units[i+1] <= 0xDFFF:
				i++
			case utf16.IsSurrogate(r):
				return true
			}
		}
		units = units[:0]
		return false
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch {
		case !inString:
			inString = b[i] == '"'
		case b[i] == '\\' && b[i+1] == 'u':
			r, _ := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
			units = append(units, rune(r))
			i += 5
			continue
		case b[i] == '\\':
			i++
		case b[i] == '"':
			inString = false
		}
		if lone() {
			return true
		}
	}
	return lone()
}

var jsonSeeds = []string{
	`{}`, ` { } `, "\t{\n}\r\n", `{"a":1}`, `{"a":-0}`, `{"a":0.5e+10}`, `{"a":1E-3}`,
	`{"a":"x","b":true,"c":false,"d":null}`, `{"a":[],"b":{}}`, `{"a":[1,"2",{"b":[null]}]}`,
	`{"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}`, `{"\u0074ype":"x"}`, `{"a" : 1 , "b" : 2}`,
	`{"sub":"user-42","exp":1772356500,"fresh":true,"aud":["x","y"]}`,
	"{\"a\":\"caf\xc3\xa9\"}", "{\"a\":\"\xff\xfe\"}", "{\"a\":\"\x7f\"}",
	"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xef\xbf\xbd\xf0\x9f\x98\x80\"}", "{\"a\":\"\xf0\x9f\x98\"}",
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":0x10}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":True}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`,
	"{\"a\":\"\x01\"}", "{\"a\":\"\n\"}", `{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":}`, `{a:1}`,
	`{"a":1}}`, `{"a":1} x`, `{"a":1}{}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b"}}`, `{"a":[}`,
	`{"a":{]}`, `{"a":"}`, `{"a`, `{`, ``, ` `, `[]`, `"x"`, `1`, `null`, `{"a":1`, `{"a":"x\`,
	`{"a":"x\"}`, `{"a":[{"b":"]"}]}`, `{"a":"[{"}`, `{"a":"\`, `{"a":"\u`, `{"a":"\u12`, `{"a":"\u123`,
	`{"a":"\u1234`, `{"a":"\u1234"`, `{"a":1e+`, `{"a":-0.`, `{"a":t`, `{"a":[`, `{"a":{`,
	`{"a":"\ud800"}`, `{"a":"\udfff"}`, `{"a":"\uDBFF\uDFFF"}`, `{"a":"\ud800\u0041"}`, `{"a":"\ud800\ud800\udc00"}`,
	`{"a":"\udc00\ud800"}`, `{"a":"x\ud83d"}`, `{"\ud800":1}`, `{"a":"\\ud800"}`, `{"a":"\ud83d\\ude00"}`,
}

func checkAgainstJSONValid(t *testing.T, in []byte) {
	t.Helper()
	want := jsonValidObject(in)
	if got := validObject(in); got != want {
		t.Errorf("validObject([]byte(%q)) = %v, json.Valid says %v", in, got, want)
	}
	if got := validObject(string(in)); got != want {
		t.Errorf("validObject(%q) = %v, json.Valid says %v", in, got, want)
	}
}

func TestValidObjectMatchesJSONValid(t *testing.T) {
	const alphabet = "{}[]\":,\\ \t0129.eE+-tfnulr\"ux\x00\x1f\x7f\x80\xa9\xc3\xf0\xff"
	for _, seed := range jsonSeeds {
		checkAgainstJSONValid(t, []byte(seed))
		// Every deletion, substitution and insertion of one byte.
		for i := 0; i <= len(seed); i++ {
			if i < len(seed) {
				checkAgainstJSONValid(t, []byte(seed[:i]+seed[i+1:]))
			}
			for j := 0; j < len(alphabet); j++ {
				c := alphabet[j : j+1]
				if i < len(seed) {
					checkAgainstJSONValid(t, []byte(seed[:i]+c+seed[i+1:]))
				}
				checkAgainstJSONValid(t, []byte(seed[:i]+c+seed[i:]))
			}
		}
	}
}

func TestValidObjectNestingLimit(t *testing.T) {
	for _, depth := range []int{9998, 9999, 10000, 10001} {
		// depth counts the outer object too.
		in := `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
		checkAgainstJSONValid(t, []byte(in))
	}
}

func FuzzValidObject(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkAgainstJSONValid)
}

// walk collects the members object hands out, or its error.
func walk[T text](b T) (map[string]string, error) {
	var o object[T]
	if err := o.open(b); err != nil {
		return nil, err
	}
	got := map[string]string{}
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return got, nil
		}
		got[string(name)] = string(value)
	}
}

func TestObjectWalksEveryMember(t *testing.T) {
	many := "{"
	for i := range maxMembers + 1 {
		if i > 0 {
			many += ","
		}
		many += `"m` + strings.Repeat("x", i) + `":` + "1"
	}
	many += "}"
	inputs := append([]string{many, many[:strings.LastIndexByte(many, ',')] + "}", `{"a":1,"a":2}`, `{"\u0061":1}`}, jsonSeeds...)
	for _, in := range inputs {
		if !jsonValidObject([]byte(in)) {
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &raw); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for k, v := range raw {
			want[k] = string(v)
		}
		var wantErr error
		switch {
		case strings.Contains(in, `\u0061":`), strings.Contains(in, `{"\u0074ype"`):
			wantErr = ErrMalformed // escaped name
		case strings.Count(in, `"a":`) > 1:
			wantErr = ErrMalformed // duplicate
		case len(raw) > maxMembers:
			wantErr = ErrMalformed // too many
		}
		for _, kind := range []string{"string", "[]byte"} {
			var got map[string]string
			var err error
			if kind == "string" {
				got, err = walk(in)
			} else {
				got, err = walk([]byte(in))
			}
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					t.Errorf("walk(%s %q): got %v, want %v", kind, in, err, wantErr)
				}
				continue
			}
			if err != nil {
				t.Errorf("walk(%s %q): %v", kind, in, err)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("walk(%s %q): members differ from encoding/json's (-want +got):\n%s", kind, in, diff)
			}
		}
	}
}

package freshtoken

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// validObject must accept exactly the JSON objects json.Valid accepts.
func jsonValidObject(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return json.Valid(b) && len(t) > 0 && t[0] == '{'
}

var jsonSeeds = []string{
	`{}`, ` { } `, "\t{\n}\r\n", `{"a":1}`, `{"a":-0}`, `{"a":0.5e+10}`, `{"a":1E-3}`,
	`{"a":"x","b":true,"c":false,"d":null}`, `{"a":[],"b":{}}`, `{"a":[1,"2",{"b":[null]}]}`,
	`{"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}`, `{"\u0074ype":"x"}`, `{"a" : 1 , "b" : 2}`,
	`{"sub":"user-42","exp":1772356500,"fresh":true,"aud":["x","y"]}`,
	"{\"a\":\"caf\xc3\xa9\"}", "{\"a\":\"\xff\xfe\"}", "{\"a\":\"\x7f\"}",
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":0x10}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":True}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`,
	"{\"a\":\"\x01\"}", "{\"a\":\"\n\"}", `{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":}`, `{a:1}`,
	`{"a":1}}`, `{"a":1} x`, `{"a":1}{}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b"}}`, `{"a":[}`,
	`{"a":{]}`, `{"a":"}`, `{"a`, `{`, ``, ` `, `[]`, `"x"`, `1`, `null`, `{"a":1`, `{"a":"x\`,
	`{"a":"x\"}`, `{"a":[{"b":"]"}]}`, `{"a":"[{"}`, `{"a":"\`, `{"a":"\u`, `{"a":"\u12`, `{"a":"\u123`,
	`{"a":"\u1234`, `{"a":"\u1234"`, `{"a":1e+`, `{"a":-0.`, `{"a":t`, `{"a":[`, `{"a":{`,
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
	const alphabet = "{}[]\":,\\ \t0129.eE+-tfnulr\"ux\x00\x1f\x7f\xc3\xff"
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

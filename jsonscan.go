package freshtoken

import (
	"encoding/json"
	"math"
	"unicode/utf8"
)

// This file checks JSON syntax for parse's object walker. It accepts exactly
// the objects json.Valid accepts (RFC 8259, with json.Valid's nesting limit)
// that are also valid UTF-8, at a fraction of the cost, since a
// token's header and claims are flat objects of strings, numbers and
// booleans. Every index is checked against the length: the input is
// untrusted.

// text is what the checks read: decoded bytes, or a string holding them.
type text interface{ ~string | ~[]byte }

// maxNesting is json.Valid's limit on nested objects and arrays.
const maxNesting = 10000

// validObject reports whether b is one JSON object, optionally surrounded
// by whitespace.
func validObject[T text](b T) bool {
	_, ok := scanObject(b, nil)
	return ok
}

// A member locates one name (without its quotes) and its value in the input.
type member struct{ name0, name1, value0, value1 int32 }

// scanObject reports whether b is one JSON object, optionally surrounded by
// whitespace, and counts its members. It records where the first len(found)
// of them are.
func scanObject[T text](b T, found []member) (count int, ok bool) {
	if len(b) > math.MaxInt32 {
		return 0, false
	}
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return 0, skipSpace(b, i+1) == len(b)
	}
	for {
		var m member
		m.name0 = int32(i + 1)
		if i, ok = scanString(b, i); !ok {
			return 0, false
		}
		m.name1 = int32(i - 1)
		i = skipSpace(b, i)
		if i == len(b) || b[i] != ':' {
			return 0, false
		}
		i = skipSpace(b, i+1)
		m.value0 = int32(i)
		if i, ok = scanValue(b, i); !ok {
			return 0, false
		}
		m.value1 = int32(i)
		if count < len(found) {
			found[count] = m
		}
		count++
		i = skipSpace(b, i)
		if i == len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return count, skipSpace(b, i+1) == len(b)
		default:
			return 0, false
		}
	}
}

// scanValue returns the index just past the JSON value that starts at b[i].
func scanValue[T text](b T, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '{' || c == '[':
		// Only application claims nest; json.Valid checks what they hold
		// once their end is found.
		end, ok := containerEnd(b, i)
		if !ok || !json.Valid([]byte(b[i:end])) {
			return 0, false
		}
		return end, true
	}
	return 0, false
}

// scanString returns the index just past the JSON string that starts at b[i].
func scanString[T text](b T, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c >= utf8.RuneSelf:
			// json.Valid lets invalid UTF-8 through inside strings; decoders
			// then disagree (encoding/json turns each bad byte into U+FFFD),
			// so two different subjects could read as one.
			size, ok := runeAt(b, i)
			if !ok {
				return 0, false
			}
			i += size - 1
		case c == '\\':
			i++
			if i == len(b) {
				return 0, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				r, ok := hex4(b, i+1)
				if !ok {
					return 0, false
				}
				i += 4
				// A lone surrogate decodes to U+FFFD, like invalid UTF-8,
				// so "\ud800" and "\udfff" would read as one subject:
				// a high surrogate must be followed by an escaped low one.
				switch {
				case 0xDC00 <= r && r <= 0xDFFF:
					return 0, false
				case 0xD800 <= r && r <= 0xDBFF:
					if len(b)-i <= 2 || b[i+1] != '\\' || b[i+2] != 'u' {
						return 0, false
					}
					lo, ok := hex4(b, i+3)
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return 0, false
					}
					i += 6
				}
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// hex4 reads the four hex digits at b[i:i+4].
func hex4[T text](b T, i int) (rune, bool) {
	if len(b)-i < 4 {
		return 0, false
	}
	var r rune
	for j := i; j < i+4; j++ {
		c := b[j]
		if !isHex(c) {
			return 0, false
		}
		r <<= 4
		switch {
		case c <= '9':
			r |= rune(c - '0')
		case c >= 'a':
			r |= rune(c-'a') + 10
		default:
			r |= rune(c-'A') + 10
		}
	}
	return r, true
}

// runeAt returns the length of the valid UTF-8 sequence at b[i].
func runeAt[T text](b T, i int) (int, bool) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], b[i:min(len(b), i+utf8.UTFMax)])
	r, size := utf8.DecodeRune(buf[:n])
	return size, r != utf8.RuneError || size > 1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber returns the index just past the JSON number that starts at
// b[i]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber[T text](b T, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func skipDigits[T text](b T, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func scanLiteral[T text](b T, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// containerEnd returns the index just past the object or array that starts
// at b[i], matching brackets of either kind; json.Valid then checks the
// contents. Deeper nesting than json.Valid allows (counting the enclosing
// object) is refused here.
func containerEnd[T text](b T, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			end, ok := scanString(b, i)
			if !ok {
				return 0, false
			}
			i = end
			continue
		case '{', '[':
			depth++
			if depth >= maxNesting {
				return 0, false
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}

func skipSpace[T text](b T, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

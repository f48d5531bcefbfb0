package freshtoken

import (
	"testing"
	"time"
)

func TestLoginTime(t *testing.T) {
	login := time.Date(2026, 3, 1, 9, 0, 0, 250_000_999, time.UTC)
	authTime := login.Truncate(time.Second)
	random := "AAAAAAAAAAAAAAAAAAAAAA"
	withTime := sessionID(random, login)
	cases := []struct {
		name, reason string
		sid          string
		authTime     time.Time
		want         time.Time
	}{
		{"with login time", "the session ID carries nanoseconds", withTime, authTime, login},
		{"plain random ID", "no login time: the start of the auth_time second", random, authTime, authTime},
		{"other second", "a login time outside the auth_time second is not believed", withTime, authTime.Add(time.Second), authTime.Add(time.Second)},
		{"bad base64", "an undecodable tail is not believed", random + "!!!!!!!!!!!", authTime, authTime},
		{"non-canonical base64", "trailing bits set", random + withTime[len(withTime)-loginTimeLen:len(withTime)-1] + "B", authTime, authTime},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := loginTime(&Claims{SessionID: c.sid, AuthTime: c.authTime})
			if !got.Equal(c.want) {
				t.Errorf("loginTime = %v, want %v (%s)", got, c.want, c.reason)
			}
		})
	}
}

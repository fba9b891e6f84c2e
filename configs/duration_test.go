package configs

import (
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

func TestDurationString(t *testing.T) {
	cases := map[time.Duration]string{
		0:                                "0s",
		100 * time.Millisecond:           "100ms",
		1500 * time.Millisecond:          "1.5s",
		time.Minute:                      "1m",
		90 * time.Second:                 "1m30s",
		15 * time.Minute:                 "15m",
		time.Hour:                        "1h",
		time.Hour + 30*time.Minute:       "1h30m",
		time.Hour + time.Second:          "1h0m1s",
		-time.Minute:                     "-1m",
		60*time.Second + time.Nanosecond: "1m0.000000001s",
	}
	for d, want := range cases {
		require.Equal(t, want, Duration(d).String())
		back, err := time.ParseDuration(want)
		require.NoError(t, err)
		require.Equal(t, d, back, "String must parse back")
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		A Duration `yaml:"a"`
		B Duration `yaml:"b"`
		C Duration `yaml:"c"`
	}
	v.B = Duration(time.Second)
	require.NoError(t, yaml.Unmarshal([]byte("a: 1m30s\nb:\nc: 0\n"), &v))
	require.Equal(t, 90*time.Second, v.A.D())
	require.Equal(t, time.Second, v.B.D(), "null keeps the value")
	require.Zero(t, v.C)

	out, err := yaml.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, "a: 1m30s\nb: 1s\nc: 0s\n", string(out))

	for _, bad := range []string{"a: 10\n", "a: 1 minute\n", "a: {x: 1}\n", "a:\n  x: 1\n", "a: true\n"} {
		err := yaml.Unmarshal([]byte(bad), &v)
		require.Error(t, err, bad)
		var ye yaml.Error
		require.ErrorAs(t, err, &ye, bad)
		require.NotNil(t, ye.GetToken(), "the position is kept for %q", bad)
		require.Contains(t, ye.GetMessage(), "invalid duration", bad)
	}
}

func TestDurationUnmarshalText(t *testing.T) {
	var d Duration
	require.NoError(t, d.UnmarshalText([]byte("250ms")))
	require.Equal(t, 250*time.Millisecond, d.D())
	require.ErrorContains(t, d.UnmarshalText([]byte("soon")), `invalid duration "soon"`)
}

// TestDurationTooLarge: a well-formed duration past MaxDuration (24h),
// including one past what time.Duration holds, says so, not that a unit
// is missing; a malformed one still asks for a unit.
func TestDurationTooLarge(t *testing.T) {
	var d Duration
	for _, big := range []string{"9999999999h", "2562048h", "2562047h", "2000000h", "24h0.001s", "1441m", "1h9223372036854775807ns", "99999999999999999999s"} {
		err := d.UnmarshalText([]byte(big))
		require.EqualError(t, err, `invalid duration "`+big+`": too long: the most is 24h`, big)
	}
	require.NoError(t, d.UnmarshalText([]byte("24h")))
	require.Equal(t, MaxDuration, d)
	for _, bad := range []string{"10", "5 seconds", "1hh", "h", "-", ""} {
		err := d.UnmarshalText([]byte(bad))
		require.ErrorContains(t, err, "want a number with a unit", bad)
	}
	_, err := Parse("c.yaml", []byte("sources:\n  - name: s\n    type: simulated\n    interval: 9999999999h\n    series: [{metric: m}]\n"))
	require.ErrorContains(t, err, `c.yaml:4:15: sources[0].interval: invalid duration "9999999999h": too long`)
}

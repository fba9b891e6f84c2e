// Package hostilebody builds the bodies of the hostile prometheus targets
// an attack round used (issue 14, round 6): the collectors' tests and
// scripts/widetarget serve the same bytes.
package hostilebody

import (
	"bytes"
	"fmt"
	"strings"
)

// Wide is the trial's "wide" body (issue 14, round 6, F2: target.py /wide):
// n series of which three in four break a default label limit (40 labels,
// a 5,000-byte value, a 300-byte name) and one in four is kept, then 50
// plain series.
func Wide(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteString("wide_metric{")
		switch i % 4 {
		case 0: // too many labels
			for j := range 40 {
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `l%d="v%d"`, j, i)
			}
		case 1: // a long value
			fmt.Fprintf(&b, `big="%s",i="%d"`, strings.Repeat("A", 5000), i)
		case 2: // a long name
			fmt.Fprintf(&b, `%s="1",i="%d"`, strings.Repeat("n", 300), i)
		default:
			fmt.Fprintf(&b, `i="%d",bad="ÿþ"`, i)
		}
		fmt.Fprintf(&b, "} %d\n", i)
	}
	for i := range 50 {
		fmt.Fprintf(&b, "ok_metric{i=\"%d\"} %d\n", i, i)
	}
	return b.Bytes()
}

// Explode is the trial's "explode" body (target.py /explode): n
// one-label series, over any sample_limit below n.
func Explode(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "explode{i=\"%d\"} 1\n", i)
	}
	return b.Bytes()
}

// Churn is the trial's "churn" body (issue 14, round 7, N2: target7.py
// /churn) for one scrape: n kept series of one family whose label r is
// round, so that a target passing a new round at every scrape offers n
// new series each time and never updates the old ones again.
func Churn(n int, round uint64) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "churn{i=\"%d\",r=\"%d\"} 1\n", i, round)
	}
	return b.Bytes()
}

// Vary is the trial's "vary" body (round 7, N2: target7.py /vary) for one
// scrape: Wide's three kinds of dropped series (40 labels, a 3,000-byte
// value, a 300-byte name), n of them, each carrying round so that no
// dropped series' text repeats from one scrape to the next (a cache of
// dropped series never hits), then 50 plain series.
func Vary(n int, round uint64) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteString("vary_metric{")
		switch i % 3 {
		case 0: // too many labels
			for j := range 40 {
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `l%d="v%d_%d"`, j, i, round)
			}
		case 1: // a long value
			fmt.Fprintf(&b, `big="%s%d",i="%d"`, strings.Repeat("A", 3000), round, i)
		default: // a long name
			fmt.Fprintf(&b, `%s%d="1",i="%d"`, strings.Repeat("n", 300), round, i)
		}
		fmt.Fprintf(&b, "} %d\n", i)
	}
	for i := range 50 {
		fmt.Fprintf(&b, "ok_metric{i=\"%d\"} %d\n", i, i)
	}
	return b.Bytes()
}

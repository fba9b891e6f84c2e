package aggregator

import (
	"strconv"
	"strings"
)

// FNV-1a, 64 bit. The series id must be stable across restarts of the
// process (it appears in URLs), so a seeded hash like maphash will not do.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// fnvLen mixes a length in, so that ("ab","c") and ("a","bc") differ.
func fnvLen(h uint64, n int) uint64 {
	h ^= uint64(n) & 0xff
	h *= fnvPrime
	h ^= uint64(n) >> 8
	h *= fnvPrime
	return h
}

// identityHash hashes a series identity without building a string.
func identityHash(source, metric string, ls Labels) uint64 {
	h := uint64(fnvOffset)
	h = fnvString(fnvLen(h, len(source)), source)
	h = fnvString(fnvLen(h, len(metric)), metric)
	for _, l := range ls {
		h = fnvString(fnvLen(h, len(l.Name)), l.Name)
		h = fnvString(fnvLen(h, len(l.Value)), l.Value)
	}
	return h
}

// sameIdentity is the collision check behind the hash.
func (s *series) sameIdentity(source, metric string, ls Labels) bool {
	if s.source != source || s.metric != metric || len(s.labels) != len(ls) {
		return false
	}
	for i := range ls {
		if s.labels[i] != ls[i] {
			return false
		}
	}
	return true
}

// formatID renders a series key as the 16 hex digits used in URLs and as
// JSON keys.
func formatID(key uint64) string { return string(appendID(nil, key)) }

func appendID(b []byte, key uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[key>>uint(shift)&0xf])
	}
	return b
}

// parseID is formatID's inverse. Only what formatID writes is an id: 16
// lowercase hex digits ("FE84…" is malformed, not another spelling).
func parseID(id string) (uint64, bool) {
	if len(id) != 16 || strings.ContainsFunc(id, func(r rune) bool { return !strings.ContainsRune(hexDigits, r) }) {
		return 0, false
	}
	k, err := strconv.ParseUint(id, 16, 64)
	return k, err == nil
}

package configs

import (
	"net/url"
	"regexp"
	"strings"
)

// URLMask is what RedactURL writes in place of a secret.
const URLMask = "xxxxx"

// RedactURL renders a configured URL for anything a person or a program
// may read: errors, log lines, the API, the stream and `pulseboard check`.
// The user name and the password are each replaced by URLMask, every
// query value too (a query item without "=" is masked whole), and the
// fragment is left out; scheme, host, port and path stay, since they say
// which target is meant:
//
//	ftp://admin:s3cret@host/x?token=abc#f  →  ftp://xxxxx:xxxxx@host/x?token=xxxxx
//
// A URL that does not parse is masked by its text: whatever stands
// between "//" and the last "@" (user info cannot be told from the rest,
// so more is masked rather than less), and every query value.
//
// It is the one redaction of URLs in the program: the config loader,
// the collectors (their errors and Describe) and the reload events all
// call it. Safe for concurrent use; it never fails.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" {
			return raw
		}
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(URLMask, URLMask)
		} else if u.User != nil {
			u.User = url.User(URLMask)
		}
		u.RawQuery = maskQuery(u.RawQuery)
		u.Fragment, u.RawFragment = "", ""
		return u.String()
	}
	return redactText(raw)
}

// redactText masks a URL that url.Parse refused.
func redactText(s string) string {
	if i := strings.Index(s, "//"); i >= 0 {
		if at := strings.LastIndexByte(s[i+2:], '@'); at >= 0 {
			info := URLMask
			if strings.Contains(s[i+2:i+2+at], ":") {
				info = URLMask + ":" + URLMask
			}
			s = s[:i+2] + info + s[i+2+at:]
		}
	}
	s, _, _ = strings.Cut(s, "#")
	if base, query, ok := strings.Cut(s, "?"); ok {
		return base + "?" + maskQuery(query)
	}
	return s
}

// maskQuery replaces the value of every item of a raw query; an item
// without "=" may be a bare token and is masked whole.
func maskQuery(raw string) string {
	if raw == "" {
		return ""
	}
	items := strings.Split(raw, "&")
	for i, item := range items {
		if item == "" {
			continue
		}
		if key, _, ok := strings.Cut(item, "="); ok {
			items[i] = key + "=" + URLMask
		} else {
			items[i] = URLMask
		}
	}
	return strings.Join(items, "&")
}

// urlInText is what RedactURLsIn takes for a URL: a scheme, "://" and
// everything up to a space, a quote or an angle bracket (punctuation at
// the end is then given back to the sentence).
var urlInText = regexp.MustCompile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'`<>]+")

// RedactURLsIn returns s with every URL in it passed through RedactURL.
// It is the net under messages built from text pulseboard does not
// control (a YAML parser's error quoting a key or an alias, an error of
// the HTTP client): config errors, source errors and reload errors go
// through it before anyone reads them. Text without "://" is returned as
// is, at the cost of one scan.
func RedactURLsIn(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		// Punctuation after a URL is the sentence's: "GET http://h/x?a=1: refused".
		end := len(strings.TrimRight(u, ".,:;!?)]}"))
		return RedactURL(u[:end]) + u[end:]
	})
}

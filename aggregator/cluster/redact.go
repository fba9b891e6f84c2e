package cluster

import (
	"errors"
	"net/url"
	"strings"
)

// secretsOf lists what must never be printed: the credentials of the
// options and the user info of every URL.
func secretsOf(o Options) []string {
	var s []string
	add := func(v string) {
		if len(v) >= 3 { // shorter would mask innocent text and hides little
			s = append(s, v)
		}
	}
	urls := []string(nil)
	if o.NATS != nil {
		add(o.NATS.Password)
		add(o.NATS.Token)
		urls = append(urls, o.NATS.URLs...)
	}
	if o.Embedded != nil {
		urls = append(urls, o.Embedded.Routes...)
	}
	for _, raw := range urls {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			add(u.User.String())
			add(u.User.Username())
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
	}
	return s
}

// redactedError is an error whose text had its secrets masked; errors.Is
// still sees the original, whose text is not reachable.
type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// redactErr masks the node's secrets in err's text.
func (n *Node) redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range n.secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return &redactedError{msg: msg, orig: err}
}

func joinURLs(urls []string) string { return strings.Join(urls, ",") }

func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = redactURL(u)
	}
	return strings.Join(out, ",")
}

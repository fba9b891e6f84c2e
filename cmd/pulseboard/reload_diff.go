package main

import (
	"reflect"
	"slices"
	"strings"

	"github.com/pulseboard/pulseboard/configs"
)

// configDiff is what a reload would change in the running config.
type configDiff struct {
	// Source names, in the new config's order (removed: the old one's).
	added, removed, changed []string
	// needsRestart lists the keys, like "server.listen", whose new value
	// only a restart would put in force. Values are left out on purpose:
	// tokens are among them.
	needsRestart []string
	// alertsChanged: the alert rules differ (a rule added, removed,
	// reordered or edited). They change live; unchanged rules keep their
	// alerts' state.
	alertsChanged bool
	// sources is what to run from now on: the new config's list, with
	// every source that did not change taken from the running config, so
	// that whoever applies it recognises it as the running one.
	sources []configs.Source
}

// sourcesChanged reports whether any source is to be started, stopped or
// restarted.
func (d configDiff) sourcesChanged() bool {
	return len(d.added)+len(d.removed)+len(d.changed) > 0
}

// diffConfigs compares the running config with a new one. Sources are
// compared with Source.Equal, so an edit that changes nothing (a key
// written out with its default, an empty list instead of none) restarts
// nothing. Every other key is fixed for the life of the process.
func diffConfigs(running, next *configs.Config) configDiff {
	var d configDiff
	kept := make(map[string]bool, len(next.Sources))
	for _, src := range next.Sources {
		kept[src.Name] = true
		old, ok := running.SourceByName(src.Name)
		switch {
		case !ok:
			d.added = append(d.added, src.Name)
		case !old.Equal(src):
			d.changed = append(d.changed, src.Name)
		default:
			src = old
		}
		d.sources = append(d.sources, src)
	}
	for _, src := range running.Sources {
		if !kept[src.Name] {
			d.removed = append(d.removed, src.Name)
		}
	}
	d.alertsChanged = !slices.EqualFunc(running.Alerts, next.Alerts, configs.AlertRule.Equal)
	d.needsRestart = fixedKeysChanged("", reflect.ValueOf(*running), reflect.ValueOf(*next))
	return d
}

// fixedKeysChanged walks two configs side by side and returns the YAML
// path of every key that differs, sources left out. It walks the structs
// rather than naming the keys, so that a key added to the schema later is
// covered without anyone remembering to list it here.
func fixedKeysChanged(path string, a, b reflect.Value) []string {
	if a.Kind() == reflect.Struct {
		var out []string
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			key := yamlKey(f)
			if path == "" && (key == "sources" || key == "alerts") {
				continue // the lists that change live
			}
			out = append(out, fixedKeysChanged(joinKey(path, key), a.Field(i), b.Field(i))...)
		}
		return out
	}
	if a.Kind() == reflect.Slice && a.Len() == 0 && b.Len() == 0 {
		return nil // an empty list is as good as none
	}
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return nil
	}
	return []string{path}
}

func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

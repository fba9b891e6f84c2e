package main

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

func simSource(name string, interval time.Duration, labels map[string]string) configs.Source {
	seed := int64(len(name))
	return configs.Source{
		Name: name, Type: configs.TypeSimulated, Interval: configs.Duration(interval), Labels: labels,
		Spec: &configs.SimulatedSpec{Seed: &seed, Series: []configs.SimSeries{{Metric: name + "_value", Shape: "constant", Min: 1, Max: 1}}},
	}
}

func TestDiffConfigsSources(t *testing.T) {
	running := configs.Default()
	running.Sources = []configs.Source{
		simSource("a", time.Second, nil),
		simSource("b", time.Second, nil),
		simSource("c", time.Second, map[string]string{"team": "x"}),
		simSource("d", time.Second, nil),
	}
	next := configs.Default()
	next.Sources = []configs.Source{
		simSource("d", time.Second, map[string]string{}), // empty labels: as none
		simSource("a", 2*time.Second, nil),               // changed
		simSource("e", time.Second, nil),                 // added
		simSource("c", time.Second, map[string]string{"team": "x"}),
	}

	d := diffConfigs(running, next)
	require.Equal(t, []string{"e"}, d.added)
	require.Equal(t, []string{"b"}, d.removed)
	require.Equal(t, []string{"a"}, d.changed)
	require.Empty(t, d.needsRestart)
	require.True(t, d.sourcesChanged())

	// The new order, unchanged sources exactly as they run (so that the
	// manager, which compares deeply, leaves them alone), changed and added
	// ones as they are now.
	require.Len(t, d.sources, 4)
	require.True(t, reflect.DeepEqual(running.Sources[3], d.sources[0]), "d as it runs, labels nil")
	require.Equal(t, next.Sources[1], d.sources[1])
	require.Equal(t, next.Sources[2], d.sources[2])
	require.True(t, reflect.DeepEqual(running.Sources[2], d.sources[3]))

	same := diffConfigs(running, running)
	require.False(t, same.sourcesChanged())
	require.Equal(t, running.Sources, same.sources)
}

func TestDiffConfigsEveryOtherKeyNeedsARestart(t *testing.T) {
	var paths []string
	forEachLeaf(t, "", reflect.ValueOf(configs.Default()).Elem(), func(path string, _ reflect.Value) {
		paths = append(paths, path)
	})
	// The walk finds the keys by their YAML names.
	require.Subset(t, paths, []string{
		"server.listen", "server.allowed_origins", "server.auth.admin_token", "aggregator.windows",
		"aggregator.queue_size", "broadcast.interval", "supervisor.cooldown", "supervisor.backoff.max",
		"alerting.interval", "alerting.alertmanagers", "alerting.resend_delay", "alerting.webhooks",
		"cluster",
	})
	require.NotContains(t, paths, "sources")
	require.NotContains(t, paths, "alerts")

	for _, path := range paths {
		next := configs.Default()
		next.Sources = []configs.Source{simSource("a", time.Second, nil)}
		forEachLeaf(t, "", reflect.ValueOf(next).Elem(), func(p string, v reflect.Value) {
			if p == path {
				change(t, v)
			}
		})
		running := configs.Default()
		running.Sources = []configs.Source{simSource("a", time.Second, nil)}
		d := diffConfigs(running, next)
		require.Equal(t, []string{path}, d.needsRestart)
		require.False(t, d.sourcesChanged(), path)
	}
}

// Alert rules change live: a rule edited, added or removed is a change of
// the rules, never a restart; the same rules written anew are none.
func TestDiffConfigsAlerts(t *testing.T) {
	rule := func(warning float64) configs.AlertRule {
		return configs.AlertRule{Name: "r", Health: &configs.AlertHealth{Source: "a"}, Labels: map[string]string{"w": fmt.Sprint(warning)}}
	}
	running, next := configs.Default(), configs.Default()
	running.Alerts = []configs.AlertRule{rule(1)}
	next.Alerts = []configs.AlertRule{rule(1)}
	d := diffConfigs(running, next)
	require.False(t, d.alertsChanged)
	next.Alerts = []configs.AlertRule{rule(2)}
	d = diffConfigs(running, next)
	require.True(t, d.alertsChanged)
	require.Empty(t, d.needsRestart)
	require.Contains(t, successEvent(time.Now(), d).Message, "alert rules changed")
	next.Alerts = nil
	require.True(t, diffConfigs(running, next).alertsChanged)
	running.Alerts = []configs.AlertRule{}
	require.False(t, diffConfigs(running, next).alertsChanged, "an empty list is no list")
}

func TestDiffConfigsEmptyListIsNoList(t *testing.T) {
	running, next := configs.Default(), configs.Default()
	running.Server.AllowedOrigins = nil
	next.Server.AllowedOrigins = []string{}
	require.Empty(t, diffConfigs(running, next).needsRestart)
}

// forEachLeaf calls visit with every settable leaf of a config struct but
// its sources, named by YAML path.
func forEachLeaf(t *testing.T, path string, v reflect.Value, visit func(string, reflect.Value)) {
	if v.Kind() != reflect.Struct {
		visit(path, v)
		return
	}
	for i := range v.NumField() {
		key := yamlKey(v.Type().Field(i))
		if path == "" && (key == "sources" || key == "alerts") {
			continue // they change live
		}
		forEachLeaf(t, joinKey(path, key), v.Field(i), visit)
	}
}

// change gives a leaf another value.
func change(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Pointer: // an optional block (cluster): there or not
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		} else {
			v.Set(reflect.Zero(v.Type()))
		}
	default:
		t.Fatalf("a config key of kind %s: teach change about it", v.Kind())
	}
}

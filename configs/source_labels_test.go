package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLabelLimitsDefaults(t *testing.T) {
	for _, spec := range []labelLimited{NewPrometheusSpec(), NewJSONSpec(), NewSimulatedSpec()} {
		require.Equal(t, LabelLimits{LabelLimit: 30, LabelNameLengthLimit: 128, LabelValueLengthLimit: 1024}, spec.Limits(), "%T", spec)
	}
	require.Equal(t, 50000, NewPrometheusSpec().SampleLimit)
}

// loadErrors parses a YAML config and returns its errors, one a line.
func loadErrors(t *testing.T, yaml string) []string {
	t.Helper()
	_, err := Parse("l.yaml", []byte(yaml))
	var got []string
	for _, e := range Errors(err) {
		got = append(got, e.Error())
	}
	return got
}

func TestLabelLimitsInvalid(t *testing.T) {
	got := loadErrors(t, `sources:
  - name: p
    type: prometheus
    url: http://127.0.0.1:9100/metrics
    label_limit: 0
    label_name_length_limit: -1
    sample_limit: -2
`)
	require.Equal(t, []string{
		"l.yaml:6:30: sources[0].label_name_length_limit: must not be negative (0 turns the limit off), got -1",
		"l.yaml:7:19: sources[0].sample_limit: must not be negative (0 turns the limit off), got -2",
	}, got, "0 is off, as in Prometheus")
}

func TestLabelLimitsOnConfiguredLabels(t *testing.T) {
	long := strings.Repeat("v", 1025)
	t.Run("json value too long", func(t *testing.T) {
		got := loadErrors(t, `sources:
  - name: j
    type: json
    url: http://127.0.0.1:9000/stats
    fields: {depth: queue.depth}
    labels:
      dc: `+long+`
`)
		require.Equal(t, []string{"l.yaml:7:11: sources[0].labels.dc: label value is 1025 bytes long, more than label_value_length_limit 1024"}, got)
	})
	t.Run("json value with the limit off", func(t *testing.T) {
		require.Empty(t, loadErrors(t, `sources:
  - name: j
    type: json
    url: http://127.0.0.1:9000/stats
    fields: {depth: queue.depth}
    label_value_length_limit: 0
    labels:
      dc: `+long+`
`))
	})
	t.Run("json value within a raised limit", func(t *testing.T) {
		require.Empty(t, loadErrors(t, `sources:
  - name: j
    type: json
    url: http://127.0.0.1:9000/stats
    fields: {depth: queue.depth}
    label_value_length_limit: 2000
    labels:
      dc: `+long+`
`))
	})
	t.Run("simulated name too long and too many labels", func(t *testing.T) {
		got := loadErrors(t, `sources:
  - name: s
    type: simulated
    label_limit: 3
    label_name_length_limit: 4
    labels: {a: "1", b: "2"}
    series:
      - metric: m
        count: 2
        labels: {b: "3", zone: x}
      - metric: n
        labels: {longer: x}
      - metric: o
`)
		require.Equal(t, []string{
			"l.yaml:10:17: sources[0].series[0].labels: 4 labels per series (the source's labels included) is more than label_limit 3",
			"l.yaml:12:18: sources[0].series[1].labels.longer: label name is 6 bytes long, more than label_name_length_limit 4",
		}, got, "a, b, zone and instance; a, b, longer is 3; the third has the source's two")
	})
	t.Run("prometheus counts its own labels only", func(t *testing.T) {
		got := loadErrors(t, `sources:
  - name: p
    type: prometheus
    url: http://127.0.0.1:9100/metrics
    label_limit: 1
    labels: {a: "1", b: "2"}
`)
		require.Equal(t, []string{"l.yaml:6:13: sources[0].labels: 2 labels per series (the source's labels included) is more than label_limit 1"}, got)
	})
	t.Run("types without limits are not checked", func(t *testing.T) {
		require.Empty(t, loadErrors(t, `sources:
  - name: h
    type: host
    labels: {dc: `+long+`}
`))
	})
}

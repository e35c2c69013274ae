package main

// Percentiles over every latency kept (exact, not bucketed) and the distribution of how many
// requests were sent, or answers read, in each millisecond of a run.

import (
	"math"
	"sort"
)

type percentiles struct {
	Count int      `json:"count"`
	Mean  float64  `json:"mean"`
	P50   *float64 `json:"p50"`
	P90   *float64 `json:"p90"`
	P99   *float64 `json:"p99"`
	P999  *float64 `json:"p999"`
	Max   *float64 `json:"max"`
}

func ms(ns int64) float64 { return math.Round(float64(ns)/1e3) / 1e3 }

// latencyPercentiles takes nanoseconds (negative: not answered, left out) and gives ms, each
// percentile the value at floor(q x count) of the sorted values, as bench/paced-load.mjs does.
func latencyPercentiles(values []int64) percentiles {
	kept := make([]int64, 0, len(values))
	var sum float64
	for _, v := range values {
		if v >= 0 {
			kept = append(kept, v)
			sum += float64(v)
		}
	}
	out := percentiles{Count: len(kept)}
	if len(kept) == 0 {
		return out
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i] < kept[j] })
	at := func(q float64) *float64 {
		i := int(math.Floor(q * float64(len(kept))))
		if i > len(kept)-1 {
			i = len(kept) - 1
		}
		v := ms(kept[i])
		return &v
	}
	out.Mean = math.Round(sum/float64(len(kept))/1e3) / 1e3
	out.P50, out.P90, out.P99, out.P999 = at(0.5), at(0.9), at(0.99), at(0.999)
	out.Max = at(1)
	return out
}

// perMillisecond: how many events fell in each millisecond of the run. An even load of 3 a ms
// shows p50 = p99 = 3; a burst shows as a high p99/max and a share of events in crowded ms.
type perMillisecond struct {
	Mean float64 `json:"mean"`
	P50  uint32  `json:"p50"`
	P99  uint32  `json:"p99"`
	Max  uint32  `json:"max"`
	// The share of events that came in a millisecond holding 10 or more of them.
	InCrowdedMs float64 `json:"shareIn10PlusMs"`
}

func perMsDistribution(bins []uint32) perMillisecond {
	if len(bins) == 0 {
		return perMillisecond{}
	}
	sorted := append([]uint32(nil), bins...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var total, crowded uint64
	for _, b := range bins {
		total += uint64(b)
		if b >= 10 {
			crowded += uint64(b)
		}
	}
	at := func(q float64) uint32 {
		i := int(math.Floor(q * float64(len(sorted))))
		if i > len(sorted)-1 {
			i = len(sorted) - 1
		}
		return sorted[i]
	}
	out := perMillisecond{
		Mean: math.Round(float64(total)/float64(len(bins))*100) / 100,
		P50:  at(0.5), P99: at(0.99), Max: sorted[len(sorted)-1],
	}
	if total > 0 {
		out.InCrowdedMs = math.Round(float64(crowded)/float64(total)*1000) / 1000
	}
	return out
}

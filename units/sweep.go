package units

import (
	"strconv"
	"strings"
)

// MaxSweepPoints bounds how many sizes one sweep expression may expand to.
const MaxSweepPoints = 10000

func sweepErr(s, reason string) *Error {
	return &Error{Input: truncate(s), What: "a size sweep", Reason: reason,
		Examples: "1KiB:8GiB (doubling), 1KiB:8GiB:x4, 1MiB:16MiB:+1MiB, 64MiB, 1MiB,16MiB,1GiB"}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ParseSizes expands a message-size sweep, the way nccl-tests' -b, -e and
// -f flags do: "MIN:MAX" doubles from MIN up to MAX, "MIN:MAX:xF"
// multiplies by F, "MIN:MAX:+STEP" adds STEP; a comma-separated list gives
// sizes one by one. Every size must be a whole number of bytes above 0.
func ParseSizes(s string) ([]int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, sweepErr(s, "empty")
	}
	if strings.Contains(s, ",") {
		var out []int64
		for _, part := range strings.Split(s, ",") {
			v, err := positiveSize(s, part)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			if len(out) > MaxSweepPoints {
				return nil, sweepErr(s, "more than "+strconv.Itoa(MaxSweepPoints)+" sizes")
			}
		}
		return out, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return nil, sweepErr(s, "too many ':' (want MIN:MAX or MIN:MAX:STEP)")
	}
	lo, err := positiveSize(s, parts[0])
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		return []int64{lo}, nil
	}
	hi, err := positiveSize(s, parts[1])
	if err != nil {
		return nil, err
	}
	if hi < lo {
		return nil, sweepErr(s, "the largest size is below the smallest")
	}
	step := "x2"
	if len(parts) == 3 {
		step = strings.TrimSpace(parts[2])
	}
	return expand(s, lo, hi, step)
}

// SizeSteps expands nccl-tests style bounds: from min to max, multiplying
// by factor (factor 0 or 1 with increment > 0 adds increment instead).
func SizeSteps(min, max int64, factor float64, increment int64) ([]int64, error) {
	src := strconv.FormatInt(min, 10) + ":" + strconv.FormatInt(max, 10)
	if min <= 0 || max <= 0 {
		return nil, sweepErr(src, "sizes must be more than 0 bytes")
	}
	if max < min {
		return nil, sweepErr(src, "the largest size is below the smallest")
	}
	if increment > 0 && factor <= 1 {
		return expand(src, min, max, "+"+strconv.FormatInt(increment, 10))
	}
	return expand(src, min, max, "x"+strconv.FormatFloat(factor, 'g', -1, 64))
}

func expand(s string, lo, hi int64, step string) ([]int64, error) {
	var out []int64
	switch {
	case strings.HasPrefix(step, "x") || strings.HasPrefix(step, "*"):
		f, err := strconv.ParseFloat(strings.TrimSpace(step[1:]), 64)
		if err != nil || !(f > 1) || f > 1e6 {
			return nil, sweepErr(s, "the factor "+strconv.Quote(step)+" must be a number above 1, such as x2")
		}
		for v := float64(lo); v <= float64(hi)*(1+1e-12); v *= f {
			out = append(out, int64(v+0.5))
			if len(out) > MaxSweepPoints {
				return nil, sweepErr(s, "more than "+strconv.Itoa(MaxSweepPoints)+" sizes")
			}
		}
	case strings.HasPrefix(step, "+"):
		inc, err := positiveSize(s, step[1:])
		if err != nil {
			return nil, err
		}
		if (hi-lo)/inc >= MaxSweepPoints {
			return nil, sweepErr(s, "more than "+strconv.Itoa(MaxSweepPoints)+" sizes")
		}
		for v := lo; v <= hi; v += inc {
			out = append(out, v)
		}
	default:
		return nil, sweepErr(s, "the step "+strconv.Quote(step)+" must start with x (multiply) or + (add)")
	}
	return out, nil
}

func positiveSize(whole, part string) (int64, error) {
	v, err := ParseSize(strings.TrimSpace(part))
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, sweepErr(whole, "sizes must be more than 0 bytes")
	}
	return v, nil
}

package units_test

import (
	"fmt"

	"github.com/cardsea/cardsea/units"
)

func ExampleParseBandwidth() {
	// NVLink 5 is marketed as 1.8 TB/s per GPU, counting both directions.
	bw, err := units.ParseBandwidth("1.8TB/s bidir")
	if err != nil {
		panic(err)
	}
	perDir, _ := bw.PerDirBytesPerS(units.DirUnspecified)
	fmt.Println(bw.Dir, units.FormatBandwidth(perDir), "per direction")

	// Bits are divided by 8.
	nic, _ := units.ParseBandwidth("400Gbps")
	fmt.Println(units.FormatBandwidth(nic.BytesPerS))

	// Without a direction, PerDirBytesPerS needs a default.
	plain, _ := units.ParseBandwidth("900 GB/s")
	if _, err := plain.PerDirBytesPerS(units.DirUnspecified); err != nil {
		fmt.Println(err)
	}

	_, err = units.ParseBandwidth("1.8XB/s")
	fmt.Println(err)
	// Output:
	// bidirectional 900 GB/s per direction
	// 50 GB/s
	// units: "900 GB/s" is not a directional bandwidth: direction unspecified; say "/dir" (per direction) or "bidir" (bidirectional) explicitly (want e.g. 450GB/s/dir, 900GB/s bidir)
	// units: "1.8XB/s" is not a bandwidth: unknown unit "XB/s" (want e.g. 900GB/s, 400Gb/s, 1.8TB/s bidir)
}

func ExampleFormatBytes() {
	fmt.Println(units.FormatBytes(49.2e12))
	fmt.Println(units.FormatBytes(192 * units.GB))
	fmt.Println(units.FormatBytesBinary(192 * units.GiB))
	fmt.Println(units.FormatBytesBinary(1024))
	fmt.Println(units.FormatBytes(0))
	// Output:
	// 49.2 TB
	// 192 GB
	// 192 GiB
	// 1 KiB
	// 0 B
}

func ExampleParseBytes() {
	for _, s := range []string{"64GiB", "128 GB", "64Gb", "4096"} {
		v, _ := units.ParseBytes(s)
		fmt.Println(s, "=", v, "bytes")
	}
	// Output:
	// 64GiB = 6.8719476736e+10 bytes
	// 128 GB = 1.28e+11 bytes
	// 64Gb = 8e+09 bytes
	// 4096 = 4096 bytes
}

func ExampleParsePower() {
	mega, _ := units.ParsePower("1.5 MW")
	milli, _ := units.ParsePower("1.5 mW")
	fmt.Println(units.FormatPower(mega), units.FormatPower(milli))
	// Output:
	// 1.5 MW 1.5 mW
}

func ExampleFormatDuration() {
	for _, s := range []float64{1.2e-6, 49.4e-3, 3.1, 7200} {
		fmt.Println(units.FormatDuration(s))
	}
	// Output:
	// 1.2 us
	// 49.4 ms
	// 3.1 s
	// 2 h
}

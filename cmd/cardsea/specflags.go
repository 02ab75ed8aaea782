package main

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/units"
	"github.com/spf13/pflag"
)

// bindSpec registers one flag per field of the spec *struct that spec
// points to, from the field's tags: yaml (the key: input_len becomes
// --input-len), flag (another flag name), short, help; defaults names the
// values zero fields take, for the help text. A flag the user does not
// give leaves its field zero, so the spec's own defaults and rules apply
// as they do to a scenario file: a new spec field is a new flag.
func bindSpec(fs *pflag.FlagSet, spec any, defaults map[string]string) {
	v := reflect.ValueOf(spec).Elem()
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if inlined(sf) {
			bindSpec(fs, v.Field(i).Addr().Interface(), defaults)
			continue
		}
		key := sf.Tag.Get("yaml")
		if key == "" || key == "-" {
			continue
		}
		name := flagOf(sf)
		help, short := sf.Tag.Get("help"), sf.Tag.Get("short")
		switch p := v.Field(i).Addr().Interface().(type) {
		case *int:
			fs.IntVarP(p, name, short, 0, help)
		case *string:
			fs.StringVarP(p, name, short, "", help)
		case *bool:
			fs.BoolVarP(p, name, short, false, help)
		case *float64:
			fs.Float64VarP(p, name, short, 0, help)
		case *[]int:
			fs.IntSliceVarP(p, name, short, nil, help)
		case pflag.Value:
			fs.VarP(p, name, short, help)
		default:
			panic(fmt.Sprintf("bindSpec: field %s has type %s", sf.Name, sf.Type))
		}
		if d, ok := defaults[key]; ok {
			fs.Lookup(name).DefValue = d
		}
	}
}

// inlined says whether a spec field is another spec inlined into it
// (study.InstanceSpec in InferenceSpec and ServeSpec): its fields are the
// spec's own.
func inlined(sf reflect.StructField) bool {
	return sf.Anonymous && strings.Contains(sf.Tag.Get("yaml"), "inline")
}

// flagOf is a spec field's flag name.
func flagOf(sf reflect.StructField) string {
	if f := sf.Tag.Get("flag"); f != "" {
		return f
	}
	return strings.ReplaceAll(sf.Tag.Get("yaml"), "_", "-")
}

// flagNamer renders a spec key (input_len) as its flag (--input-len); a
// nil spec renders every key by its spelling.
func flagNamer(spec any) func(string) string {
	names := map[string]string{}
	if spec != nil {
		t := reflect.TypeOf(spec)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		var add func(t reflect.Type)
		add = func(t reflect.Type) {
			for i := range t.NumField() {
				sf := t.Field(i)
				if inlined(sf) {
					add(sf.Type)
					continue
				}
				names[sf.Tag.Get("yaml")] = "--" + flagOf(sf)
			}
		}
		add(t)
	}
	return func(key string) string {
		if n, ok := names[key]; ok {
			return n
		}
		return "--" + strings.ReplaceAll(key, "_", "-")
	}
}

// usageOf is err as a usage error (exit 2), its fields named by their
// flags.
func usageOf(err error, spec any) error {
	if fe := flagError(err, spec); fe != err {
		return fe
	}
	return usagef("%v", err)
}

// givenZero refuses a spec flag given as 0 whose field has a min tag: a
// zero field takes its default, so a 0 the user typed would be silently
// replaced.
func givenZero(fs *pflag.FlagSet, spec any) error {
	t := reflect.TypeOf(spec).Elem()
	v := reflect.ValueOf(spec).Elem()
	for i := range t.NumField() {
		sf := t.Field(i)
		if inlined(sf) {
			if err := givenZero(fs, v.Field(i).Addr().Interface()); err != nil {
				return err
			}
			continue
		}
		min := sf.Tag.Get("min")
		if min == "" || !fs.Changed(flagOf(sf)) || v.Field(i).Kind() != reflect.Int {
			continue
		}
		if n := v.Field(i).Int(); n == 0 {
			return usagef("--%s 0: want at least %s (leave the flag out for the default)", flagOf(sf), min)
		}
	}
	return nil
}

// flagError names the fields of a field.Error in err by their flags; an
// error about a field of the input is a usage error (exit 2).
func flagError(err error, spec any) error {
	var fe *field.Error
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	return &usageError{msg: field.Rename(err, flagNamer(spec)).Error()}
}

// bindPower registers the power and cost flags; the returned function,
// called after parsing, is the study.PowerSpec they state.
func bindPower(fs *pflag.FlagSet) func() study.PowerSpec {
	var p study.PowerSpec
	fs.StringVar(&p.Mode, "power-mode", string(power.Activity), "activity or provisioned")
	price := fs.Float64("price-per-kwh", study.DefaultPricePerKWh, "electricity price, USD per kWh (energy cost per million tokens)")
	fs.Float64Var(&p.CapexPerAccel, "capex-per-accel", 0, "all-in system price per accelerator, USD (capital cost per million tokens)")
	fs.Float64Var(&p.AmortizationYears, "amortization-years", study.DefaultAmortizationYears, "years over which capex is written off")
	return func() study.PowerSpec {
		p.PricePerKWh = price
		return p
	}
}

// powerFlags compiles the power flags.
func powerFlags(spec func() study.PowerSpec) (power.Mode, power.Cost, error) {
	mode, cost, err := spec().Compile()
	if err != nil {
		err = flagError(err, powerFlagNames{})
	}
	return mode, cost, err
}

// powerFlagNames names the power settings by their flags in errors.
type powerFlagNames struct {
	Mode  string `yaml:"mode" flag:"power-mode"`
	Price string `yaml:"price_per_kwh" flag:"price-per-kwh"`
}

// writeFile writes data to path whole (report.WriteFile) and says so on
// stderr, with what the file holds, so a script's log shows where the
// results went.
func writeFile(stderr io.Writer, path string, data []byte, what string) error {
	if err := report.WriteFile(path, data); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "cardsea: wrote %s (%s, %s)\n", path, what, units.FormatBytesBinary(float64(len(data))))
	return nil
}

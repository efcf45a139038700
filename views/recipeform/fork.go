package recipeform

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/fmnist/trainer/fmnist"
)

// A fork's form: the learning rate and epochs, and every recipe field a
// fork may change (all but the network's shape, fmnist.NetworkFields,
// which a fork keeps from its parent's checkpoint). A blank field keeps
// the parent's value.

// ForkFields are the fork form's first fields, before the recipe's.
var ForkFields = []Field{
	{Name: fmnist.FieldLR, Label: "Learning rate", Kind: KindFloat},
	{Name: fmnist.FieldEpochs, Label: "Epochs", Kind: KindInt},
}

// ForkGroups are Groups without the network's shape.
var ForkGroups = forkGroups()

func forkGroups() []Group {
	var out []Group
	for _, g := range Groups {
		g.Fields = slices.DeleteFunc(slices.Clone(g.Fields), func(f Field) bool {
			return slices.Contains(fmnist.NetworkFields, f.Name)
		})
		out = append(out, g)
	}
	return out
}

// CheckboxOff is what a fork form's checkbox sends when unticked: a
// hidden input of the same name comes before it, so a ticked box sends
// "off" then "on" and the last value counts, and a form without the field
// keeps the parent's value.
const CheckboxOff = "off"

// ForkValues reads a fork form's fields, trimmed, by name (the last value
// sent of each).
func ForkValues(form url.Values) Values {
	v := Values{}
	read := func(f Field) {
		if sent := form[f.Name]; len(sent) > 0 {
			if s := strings.TrimSpace(sent[len(sent)-1]); s != "" {
				v[f.Name] = s
			}
		}
	}
	for _, f := range ForkFields {
		read(f)
	}
	for _, g := range ForkGroups {
		for _, f := range g.Fields {
			read(f)
		}
	}
	return v
}

// Changes are the fork's changes the values ask for: each field given,
// parsed; a value that is not a number where one is needed is an EINVALID
// error naming the field.
func (v Values) Changes() (fmnist.ConfigChanges, error) {
	var ch fmnist.ConfigChanges
	fields := map[string]any{}
	add := func(f Field) error {
		if text := v[f.Name]; text != "" {
			x, err := f.parse(text)
			fields[f.Name] = x
			return err
		}
		return nil
	}
	for _, f := range ForkFields {
		if err := add(f); err != nil {
			return ch, err
		}
	}
	for _, g := range ForkGroups {
		for _, f := range g.Fields {
			if err := add(f); err != nil {
				return ch, err
			}
		}
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return ch, fmt.Errorf("fork form: %w", err)
	}
	if err := json.Unmarshal(raw, &ch); err != nil {
		return ch, fmt.Errorf("fork form: %w", err)
	}
	return ch, nil
}

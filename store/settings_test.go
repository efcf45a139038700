package store

import (
	"context"
	"testing"
)

func TestSettings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if v, ok, err := db.GetSetting(ctx, "dataset"); err != nil || ok || v != "" {
		t.Fatalf("GetSetting of missing key = %q, %v, %v", v, ok, err)
	}
	for _, v := range []string{"downloading", "ready"} {
		if err := db.SetSetting(ctx, "dataset", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := db.GetSetting(ctx, "dataset"); err != nil || !ok || got != v {
			t.Errorf("GetSetting after setting %q = %q, %v, %v", v, got, ok, err)
		}
	}
}

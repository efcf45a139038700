package views

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fmnist/trainer/fmnist"
)

// fieldLabels are the names the forms show for fields; a field not listed
// is shown by its JSON name.
var fieldLabels = map[string]string{
	fmnist.FieldEpochs:     "Epochs",
	fmnist.FieldBatchSize:  "Batch size",
	fmnist.FieldLR:         "Learning rate",
	fmnist.FieldSeed:       "Seed",
	fmnist.FieldTrainLimit: "Train limit",
	"checkpoint_id":        "Checkpoint",
}

// FieldLabel is the name a form shows for field.
func FieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return field
}

// Sentence makes a message from the server read as a sentence: a capital
// first letter and a full stop ("must be a whole number" → "Must be a whole
// number."), for a message shown beside its field.
func Sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// FieldSentence says what is wrong with a field in a sentence that names
// it: "Learning rate must be a number such as 0.001."
func FieldSentence(field, msg string) string {
	return Sentence(FieldLabel(field) + " " + strings.TrimSpace(msg))
}

// FieldsSentence says what is wrong with each field, one sentence each.
func FieldsSentence(problems []fmnist.FieldProblem) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = FieldSentence(p.Field, p.Message)
	}
	return strings.Join(parts, " ")
}

// FieldErrorsOf maps each bad field to its message as shown beside it.
func FieldErrorsOf(problems []fmnist.FieldProblem) map[string]string {
	if len(problems) == 0 {
		return nil
	}
	m := make(map[string]string, len(problems))
	for _, p := range problems {
		m[p.Field] = Sentence(p.Message)
	}
	return m
}

// CorrectFieldsMessage is the line under a form with bad fields.
func CorrectFieldsMessage(n int) string {
	if n == 1 {
		return "Please correct the highlighted field."
	}
	return "Please correct the " + strconv.Itoa(n) + " highlighted fields."
}

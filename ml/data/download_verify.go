package data

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// officialMD5 are the checksums the Fashion-MNIST README publishes.
var officialMD5 = map[string]string{
	TrainImagesFile: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
	TrainLabelsFile: "25c81989df183df01b3e8a0aad5dffbe",
	TestImagesFile:  "bef4ecab320f06d8554ea6380940ec79",
	TestLabelsFile:  "bb300cfdad3c16e7a12a480ee83cd310",
}

// officialSizes are the sizes of the official files, so overall download
// progress has a total before each file's response arrives.
var officialSizes = map[string]int64{
	TrainImagesFile: 26421880,
	TrainLabelsFile: 29515,
	TestImagesFile:  4422102,
	TestLabelsFile:  5148,
}

// Official item counts of the two splits.
const (
	officialTrainCount = 60000
	officialTestCount  = 10000
)

// checksums says what each file must hash to.
type checksums struct {
	md5    map[string]string // official source
	sha256 map[string]string // custom source with SHA256SUMS; nil without
}

// verifiedFile is what verification learnt about one file.
type verifiedFile struct {
	size   int64
	sha256 string
	count  int // images or labels
}

// verifyFile checks a downloaded file: its checksum, when one is expected,
// then its IDX structure. name is the dataset file name, which decides the
// checksum entry and whether it holds images or labels.
func verifyFile(path, name string, sums checksums) (verifiedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return verifiedFile{}, err
	}
	md5Hash, shaHash := md5.New(), sha256.New()
	size, err := io.Copy(io.MultiWriter(md5Hash, shaHash), bufio.NewReaderSize(f, 256<<10))
	f.Close()
	if err != nil {
		return verifiedFile{}, err // an *fs.PathError: it names path
	}
	v := verifiedFile{size: size, sha256: hex.EncodeToString(shaHash.Sum(nil))}
	if want, ok := sums.md5[name]; ok {
		if got := hex.EncodeToString(md5Hash.Sum(nil)); got != want {
			return v, fmt.Errorf("MD5 is %s, the official checksum is %s", got, want)
		}
	}
	if want, ok := sums.sha256[name]; ok && v.sha256 != want {
		return v, fmt.Errorf("SHA-256 is %s, %s says %s", v.sha256, sumsFile, want)
	}

	if isImagesFile(name) {
		_, v.count, err = ReadImagesFile(path)
	} else {
		var labels []uint8
		labels, err = ReadLabelsFile(path)
		v.count = len(labels)
	}
	return v, err
}

func isImagesFile(name string) bool {
	return name == TrainImagesFile || name == TestImagesFile
}

// parseSHA256Sums reads sha256sum output ("HEX  NAME" or "HEX *NAME" per
// line) and returns the entries for the dataset files, which must all be
// present.
func parseSHA256Sums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	for i, line := range strings.Split(string(bytes.TrimSpace(data)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimLeft(name, " "), "*")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 2*sha256.Size || name == "" {
			return nil, fmt.Errorf("%s line %d is not \"<sha256>  <file>\": %q", sumsFile, i+1, line)
		}
		sums[strings.TrimPrefix(name, "./")] = strings.ToLower(sum)
	}
	for _, name := range DatasetFiles {
		if _, ok := sums[name]; !ok {
			return nil, fmt.Errorf("%s has no entry for %s", sumsFile, name)
		}
	}
	return sums, nil
}

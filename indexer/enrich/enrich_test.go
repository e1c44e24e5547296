package enrich

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/seeds.golden from the current output")

func findDoc(t *testing.T, docs []testDoc, title string) testDoc {
	t.Helper()
	for _, d := range docs {
		if d.title == title {
			return d
		}
	}
	t.Fatalf("no seed document titled %q", title)
	return testDoc{}
}

// TestSeedPlaces pins the places of the seed documents the issue names.
func TestSeedPlaces(t *testing.T) {
	docs := seedDocs(t)
	e := Default()
	cases := []struct {
		title             string
		provinces, cities []string
	}{
		{"崇左扶绥医保备案", []string{"广西"}, []string{"崇左"}},
		{"崇左市医保卡怎么办理", []string{"广西"}, []string{"崇左"}},
		{"崇左医保局备案电话", []string{"广西"}, []string{"崇左"}},
		{"宜宾异地医保政策", []string{"四川"}, []string{"宜宾"}},
		{"2025山东滨州城乡居民医保报销比例是多少", []string{"山东"}, []string{"滨州"}},
		{"滨州2024年职工医保门诊报销限额标准", []string{"山东"}, []string{"滨州"}},
		{"2025年湖南常德治疗闭经的医院有哪些", []string{"湖南"}, []string{"常德"}},
		{"甘肃白银治疗化学性眼外伤的医院排名", []string{"甘肃"}, []string{"白银"}},
		{"2025年云南昭通治疗手脚冰凉的医院有哪些", []string{"云南"}, []string{"昭通"}},
		{"陕西汉中社保基数20000是几档", []string{"陕西"}, []string{"汉中"}},
		{"2025年海南琼海咳痰带血在线问诊推荐哪个医院", []string{"海南"}, []string{"琼海"}},
		{"2025年海南文昌喉咙痛在线问诊推荐哪个医院", []string{"海南"}, []string{"文昌"}},
		// The snippet lists hospitals: 南宁市…, 来宾市…, 合山市 / 象州县 / 武宣县 (来宾).
		{"2025年广西治疗打喷嚏的医院有哪些", []string{"广西"}, []string{"南宁", "来宾"}},
		{"海南医保卡可以取现吗", []string{"海南"}, nil},
		{"海南医保账户可以在广西使用吗", []string{"海南", "广西"}, nil},
		{"河北省怎么用医保余额帮家人交医保", []string{"河北"}, nil},
		// No place at all.
		{"肠梨形鞭毛虫病的初期症状", nil, nil},
		{"肠梨形鞭毛虫病吃啥药最管用", nil, nil},
		{"清明野餐腿被潮虫咬了可以用小苏打吗", nil, nil},
		{"61岁做超微小气泡有什么副作用", nil, nil},
		{"医保能报销几回", nil, nil},
		{"低保报销需要什么资料", nil, nil},
		{"霉菌能在水里生长吗", nil, nil},
	}
	for _, c := range cases {
		d := findDoc(t, docs, c.title)
		r := e.Enrich(d.title, d.text)
		if !reflect.DeepEqual(r.Provinces, c.provinces) || !reflect.DeepEqual(r.Cities, c.cities) {
			t.Errorf("%s: got provinces %v cities %v, want %v %v (matched %v)",
				c.title, r.Provinces, r.Cities, c.provinces, c.cities, e.placeSurfaces(d.title, d.text))
		}
	}
	// 榆林's snippet also lists the provinces that already pay for cochlear
	// implants: a document naming several provinces carries all of them.
	d := findDoc(t, docs, "2025年陕西榆林做人工耳蜗植入术能走医保吗?")
	r := e.Enrich(d.title, d.text)
	if r.Provinces[0] != "陕西" || !slices.Contains(r.Provinces, "新疆") || !reflect.DeepEqual(r.Cities, []string{"榆林"}) {
		t.Errorf("榆林 item: got %v %v", r.Provinces, r.Cities)
	}
}

// TestPlaceMappings checks names alone map to the right province.
func TestPlaceMappings(t *testing.T) {
	e := Default()
	cases := []struct{ text, province, city string }{
		{"崇左", "广西", "崇左"},
		{"崇左市", "广西", "崇左"},
		{"宜宾", "四川", "宜宾"},
		{"滨州", "山东", "滨州"},
		{"常德", "湖南", "常德"},
		{"白银市", "甘肃", "白银"},
		{"昭通", "云南", "昭通"},
		{"汉中", "陕西", "汉中"},
		{"榆林", "陕西", "榆林"},
		{"琼海", "海南", "琼海"},
		{"文昌", "海南", "文昌"},
		{"扶绥", "广西", "崇左"},
		{"扶绥县", "广西", "崇左"},
		{"象州县人民医院", "广西", "来宾"},
		{"合山市人民医院", "广西", "来宾"},
		{"广西壮族自治区", "广西", ""},
		{"广西自治区", "广西", ""},
		{"新疆维吾尔自治区", "新疆", ""},
		{"内蒙古自治区", "内蒙古", ""},
		{"内蒙", "内蒙古", ""},
		{"宁夏", "宁夏", ""},
		{"西藏", "西藏", ""},
		{"香港", "香港", "香港"},
		{"澳门特别行政区", "澳门", "澳门"},
		{"北京", "北京", "北京"},
		{"北京市海淀区", "北京", "北京"},
		{"黔东南苗族侗族自治州", "贵州", "黔东南"},
		{"黔东南州", "贵州", "黔东南"},
		{"凯里市", "贵州", "黔东南"},
		{"恩施州", "湖北", "恩施"},
		{"锡林郭勒盟", "内蒙古", "锡林郭勒"},
		{"阿克苏地区", "新疆", "阿克苏"},
		{"仙桃", "湖北", "仙桃"},
		{"石河子", "新疆", "石河子"},
		{"长阳土家族自治县", "湖北", "宜昌"},
		{"长阳县", "湖北", "宜昌"},
		{"台北", "台湾", "台北"},
		// A province's short name wins over the prefecture and the district
		// spelled the same way (海南藏族自治州 in 青海, 海南区 in 乌海).
		{"海南", "海南", ""},
		{"青海海南州", "青海", "海南"},
		// 通化 the city and 通化县 are both in 吉林: no doubt about the province.
		{"通化市", "吉林", "通化"},
		// 南宁市 is a prefix of the hospital's name.
		{"南宁市红十字会医院", "广西", "南宁"},
		{"河南省人民医院", "河南", ""},
	}
	for _, c := range cases {
		r := e.Enrich("", c.text)
		var wantCities []string
		if c.city != "" {
			wantCities = []string{c.city}
		}
		if !reflect.DeepEqual(r.Provinces, []string{c.province}) || !reflect.DeepEqual(r.Cities, wantCities) {
			t.Errorf("%s: got %v %v, want [%s] %v", c.text, r.Provinces, r.Cities, c.province, wantCities)
		}
	}
}

// TestAmbiguous covers names several places share: kept only with support
// from the document.
func TestAmbiguous(t *testing.T) {
	e := Default()
	cases := []struct {
		text              string
		provinces, cities []string
	}{
		{"和平区", nil, nil}, // 天津, 沈阳, 河源
		{"天津市和平区", []string{"天津"}, []string{"天津"}},    // the city says which
		{"沈阳和平区医保中心", []string{"辽宁"}, []string{"沈阳"}}, // the city says which
		{"城关区", nil, nil}, // 拉萨, 兰州
		{"兰州城关区", []string{"甘肃"}, []string{"兰州"}},
		{"长宁区", []string{"上海"}, []string{"上海"}}, // 上海长宁区 (区) vs 长宁县 (宜宾): only one 长宁区
		{"朝阳区", nil, nil},                       // 北京, 长春
		{"北京朝阳区", []string{"北京"}, []string{"北京"}},
		{"辽宁朝阳", []string{"辽宁"}, []string{"朝阳"}},
		{"朝阳市", []string{"辽宁"}, []string{"朝阳"}},
		// Several provinces, in order of mention.
		{"广东和广西的医保", []string{"广东", "广西"}, nil},
		{"从山东滨州到四川宜宾", []string{"山东", "四川"}, []string{"滨州", "宜宾"}},
	}
	for _, c := range cases {
		r := e.Enrich(c.text, "")
		if !reflect.DeepEqual(r.Provinces, c.provinces) || !reflect.DeepEqual(r.Cities, c.cities) {
			t.Errorf("%s: got %v %v, want %v %v (matched %v)", c.text, r.Provinces, r.Cities,
				c.provinces, c.cities, e.placeSurfaces(c.text, ""))
		}
	}
}

// trapCases: texts that name no place although they contain place names, and
// texts where a trap's place does count. TestTraps requires a case for every
// rule in traps.tsv.
var trapCases = []struct {
	text              string
	provinces, cities []string
}{
	// Medical words from the seeds and the corpus.
	{"肠梨形鞭毛虫病又称贾第鞭毛虫病,可用甲硝唑、替硝唑或阿苯达唑", nil, nil},
	{"白带异常、白癜风、青光眼", nil, nil},
	{"乙肝大三阳和小三阳的区别", nil, nil},
	{"乙肝表面抗原阳性,e抗原阳性", nil, nil},
	{"胃炎久治不愈怎么办", nil, nil},
	{"可以口服阿莫西林、氨苄西林、苯唑西林、哌拉西林、美洛西林、替卡西林、双氯西林", nil, nil},
	{"癫痫可以服用卡马西平或奥卡西平", nil, nil},
	{"高密度脂蛋白偏低", nil, nil},
	{"可以用长春西丁改善脑供血", nil, nil},
	{"云南白药可以止血", nil, nil},
	{"西藏红花泡水喝", nil, nil},
	{"北京同仁堂的安宫牛黄丸", nil, nil},
	{"香港脚怎么治", nil, nil},
	{"天门冬有什么功效", nil, nil},
	{"莆田系医院能去吗", nil, nil},
	{"北京中医药大学附属广安门医院的专家", []string{"北京"}, []string{"北京"}},
	{"复旦大学附属中山医院", nil, nil},
	{"孙中山先生穿中山装走在中山路上,去中山公园", nil, nil},
	{"肾功能检查建议去同仁医院", nil, nil},
	{"小沈阳的小品", nil, nil},
	{"别夸下海口", nil, nil},
	{"去北海道泡温泉", nil, nil},
	{"把东西藏起来", nil, nil},
	// Ordinary words that are county or city names.
	{"比如说胃痛胃胀,延长治疗时间", nil, nil},
	{"祝您身体安康,生活平安,长寿", nil, nil},
	{"新农合也叫农村合作医疗,医患合作很重要", nil, nil},
	{"农村合作市场和东方市场", nil, nil},
	{"药品开封后要冷藏,一周口服三次", nil, nil},
	{"确保定期复查,三明治少吃,症状大同小异", nil, nil},
	{"长治久安;日照时间短;哈密瓜和普洱茶;大理石地面", nil, nil},
	{"阿里健康上买药;玉树临风;四平八稳", nil, nil},
	{"巩固原有疗效,一路平安顺利", nil, nil},
	{"各位来宾;天南海北", nil, nil},
	{"在国家医保服务平台中查询", nil, nil},
	{"兴安岭的蘑菇性平凉", nil, nil},
	{"攀枝花开了", nil, nil},
	{"东方红,定安全措施,白沙滩", nil, nil},
	{"新星白杨双河", nil, nil},
	{"研究表明白银可以杀菌", nil, nil},
	{"疏通化瘀,打通化纤", nil, nil},
	{"补益阳气", nil, nil},
	{"先确定西药的剂量", nil, nil},
	{"嘴巴中有异味", nil, nil},
	{"湘西北首例手术", nil, nil},
	{"湘西南地区", nil, nil},
	{"在城区和郊区,矿区和东区西区", nil, nil},
	{"老城区、新市区、城东区城西区城北区、站前区、市南区市北区、港口区", nil, nil},
	{"海南区域的医保和河北区别大吗", []string{"海南", "河北"}, nil},
	{"乌海市海南区", []string{"内蒙古"}, []string{"乌海"}},
	{"青岛市南区", []string{"山东"}, []string{"青岛"}},
	{"河南洛阳老城区", []string{"河南"}, []string{"洛阳"}},
	{"省、市和县级医院", nil, nil},
	{"来自资源、通道、公安、和平、温泉的病人", nil, nil},
	{"朝阳初升", nil, nil},
	// Where the trapped names do count.
	{"陕西安康", []string{"陕西"}, []string{"安康"}},
	{"安康市中心医院", []string{"陕西"}, []string{"安康"}},
	{"甘南合作", []string{"甘肃"}, []string{"甘南"}},
	{"合作市医保局", []string{"甘肃"}, []string{"甘南"}},
	{"河南开封", []string{"河南"}, []string{"开封"}},
	{"开封市", []string{"河南"}, []string{"开封"}},
	{"河南周口", []string{"河南"}, []string{"周口"}},
	{"河北保定", []string{"河北"}, []string{"保定"}},
	{"福建三明", []string{"福建"}, []string{"三明"}},
	{"山西大同", []string{"山西"}, []string{"大同"}},
	{"山西长治", []string{"山西"}, []string{"长治"}},
	{"山东日照", []string{"山东"}, []string{"日照"}},
	{"新疆哈密", []string{"新疆"}, []string{"哈密"}},
	{"云南普洱", []string{"云南"}, []string{"普洱"}},
	{"云南大理", []string{"云南"}, []string{"大理"}},
	{"西藏阿里", []string{"西藏"}, []string{"阿里"}},
	{"青海玉树", []string{"青海"}, []string{"玉树"}},
	{"吉林四平", []string{"吉林"}, []string{"四平"}},
	{"宁夏固原", []string{"宁夏"}, []string{"固原"}},
	{"贵州安顺", []string{"贵州"}, []string{"安顺"}},
	{"广西来宾", []string{"广西"}, []string{"来宾"}},
	{"青海海北", []string{"青海"}, []string{"海北"}},
	{"台湾台中", []string{"台湾"}, []string{"台中"}},
	{"内蒙古兴安盟", []string{"内蒙古"}, []string{"兴安"}},
	{"甘肃平凉", []string{"甘肃"}, []string{"平凉"}},
	{"四川攀枝花", []string{"四川"}, []string{"攀枝花"}},
	{"海南东方", []string{"海南"}, []string{"东方"}},
	{"东方市人民医院", []string{"海南"}, []string{"东方"}},
	{"海南定安", []string{"海南"}, []string{"定安"}},
	{"海南白沙", []string{"海南"}, []string{"白沙"}},
	{"新疆新星市", []string{"新疆"}, []string{"新星"}},
	{"新疆白杨市", []string{"新疆"}, []string{"白杨"}},
	{"新疆双河", []string{"新疆"}, []string{"双河"}},
	{"甘肃白银", []string{"甘肃"}, []string{"白银"}},
	{"吉林通化", []string{"吉林"}, []string{"通化"}},
	{"湖南益阳", []string{"湖南"}, []string{"益阳"}},
	{"甘肃定西", []string{"甘肃"}, []string{"定西"}},
	{"四川巴中", []string{"四川"}, []string{"巴中"}},
	{"辽宁朝阳", []string{"辽宁"}, []string{"朝阳"}},
	{"攀枝花东区", []string{"四川"}, []string{"攀枝花"}},
	{"阳泉市城区", []string{"山西"}, []string{"阳泉"}},
	// Strong county names: count on their own.
	{"扶绥", []string{"广西"}, []string{"崇左"}},
	{"昆山", []string{"江苏"}, []string{"苏州"}},
	{"义乌", []string{"浙江"}, []string{"金华"}},
	{"江阴", []string{"江苏"}, []string{"无锡"}},
	{"常熟", []string{"江苏"}, []string{"苏州"}},
	{"晋江", []string{"福建"}, []string{"泉州"}},
	{"慈溪", []string{"浙江"}, []string{"宁波"}},
	{"余姚", []string{"浙江"}, []string{"宁波"}},
	{"浦东", []string{"上海"}, []string{"上海"}},
	{"海淀", []string{"北京"}, []string{"北京"}},
	{"顺德", []string{"广东"}, []string{"佛山"}},
	{"宜兴", []string{"江苏"}, []string{"无锡"}},
	{"太仓", []string{"江苏"}, []string{"苏州"}},
	{"诸暨", []string{"浙江"}, []string{"绍兴"}},
	{"瑞安", []string{"浙江"}, []string{"温州"}},
	{"温岭", []string{"浙江"}, []string{"台州"}},
	{"福清", []string{"福建"}, []string{"福州"}},
	{"石狮", []string{"福建"}, []string{"泉州"}},
	{"胶州", []string{"山东"}, []string{"青岛"}},
	{"寿光", []string{"山东"}, []string{"潍坊"}},
	{"迁安", []string{"河北"}, []string{"唐山"}},
	{"延吉", []string{"吉林"}, []string{"延边"}},
	{"凯里", []string{"贵州"}, []string{"黔东南"}},
	{"都匀", []string{"贵州"}, []string{"黔南"}},
	{"兴义", []string{"贵州"}, []string{"黔西南"}},
	{"景洪", []string{"云南"}, []string{"西双版纳"}},
	{"腾冲", []string{"云南"}, []string{"保山"}},
	{"瑞丽", []string{"云南"}, []string{"德宏"}},
	{"敦煌", []string{"甘肃"}, []string{"酒泉"}},
	{"浏阳", []string{"湖南"}, []string{"长沙"}},
	{"醴陵", []string{"湖南"}, []string{"株洲"}},
	{"宁乡", []string{"湖南"}, []string{"长沙"}},
	{"韶山", []string{"湖南"}, []string{"湘潭"}},
	{"凭祥", []string{"广西"}, []string{"崇左"}},
	// Three-character county names are strong by default.
	{"库尔勒", []string{"新疆"}, []string{"巴音郭楞"}},
	{"张家港", []string{"江苏"}, []string{"苏州"}},
}

func TestTraps(t *testing.T) {
	e := Default()
	for _, c := range trapCases {
		r := e.Enrich("", c.text)
		if !reflect.DeepEqual(r.Provinces, c.provinces) || !reflect.DeepEqual(r.Cities, c.cities) {
			t.Errorf("%s: got %v %v, want %v %v (matched %v)", c.text, r.Provinces, r.Cities,
				c.provinces, c.cities, e.placeSurfaces("", c.text))
		}
		// The title is scanned the same way.
		if r2 := e.Enrich(c.text, ""); !reflect.DeepEqual(r2.Provinces, r.Provinces) || !reflect.DeepEqual(r2.Cities, r.Cities) {
			t.Errorf("%s as a title: got %v %v, as text %v %v", c.text, r2.Provinces, r2.Cities, r.Provinces, r.Cities)
		}
	}
}

// TestTrapRules checks traps.tsv itself: every rule changes something and
// has a case in trapCases.
func TestTrapRules(t *testing.T) {
	plain, err := parseGazetteer(gazetteerTSV, "")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(trapsTSV))
	rules := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		rules++
		kind, word := f[0], f[1]
		switch kind {
		case "weak", "strong":
			si := plain.bySurf[word]
			if def := plain.surfaces[si].weak; def == (kind == "weak") {
				t.Errorf("traps.tsv: %s %s changes nothing: it is %s by default", kind, word, kind)
			}
		case "block":
			found := false
			for _, s := range plain.surfaces {
				if strings.Contains(word, s.text) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("traps.tsv: block %s contains no place name", word)
			}
		}
		covered := false
		for _, c := range trapCases {
			if strings.Contains(c.text, word) {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("traps.tsv: %s %s has no case in trapCases", kind, word)
		}
	}
	if rules < 50 {
		t.Errorf("only %d trap rules", rules)
	}
}

func TestTrapFileErrors(t *testing.T) {
	for _, bad := range []string{"weak 不是地名", "strong 不是地名", "block 广西", "maybe 安康", "weak"} {
		if _, err := parseGazetteer(gazetteerTSV, bad); err == nil {
			t.Errorf("traps %q: no error", bad)
		}
	}
}

// TestSeedTopics pins topics the issue asks for; TestSeedGolden pins the rest.
func TestSeedTopics(t *testing.T) {
	docs := seedDocs(t)
	e := Default()
	has := func(title string, want ...string) {
		t.Helper()
		d := findDoc(t, docs, title)
		r := e.Enrich(d.title, d.text)
		for _, w := range want {
			if !slices.Contains(r.Topics, w) {
				t.Errorf("%s: topics %v lack %s", title, r.Topics, w)
			}
		}
	}
	for _, d := range docs {
		if strings.Contains(d.title, "潮虫") {
			has(d.title, "疾病", "虫咬")
		}
		if strings.HasPrefix(d.title, "61岁做") {
			has(d.title, "医美", "皮肤美容")
		}
		if strings.Contains(d.title, "医院有哪些") || strings.Contains(d.title, "医院排名") || strings.Contains(d.title, "哪个医院") {
			has(d.title, "就医", "医院")
		}
		if strings.Contains(d.title, "社保基数") {
			has(d.title, "社保", "社保基数")
		}
		if strings.Contains(d.title, "在线问诊") {
			has(d.title, "在线问诊")
		}
		if strings.Contains(d.title, "医保转移") {
			has(d.title, "医保", "转移接续")
		}
		if strings.Contains(d.title, "低保") {
			has(d.title, "社会救助", "低保")
		}
	}
	has("肠梨形鞭毛虫病吃啥药最管用", "疾病", "寄生虫病", "用药")
	has("肠梨形鞭毛虫病的初期症状", "疾病", "寄生虫病")
	has("肠梨形鞭毛虫病可以根治吗", "疾病", "寄生虫病")
	has("清明野餐腿被潮虫咬了如何急救处理", "急救")
	has("低保住院在那里报销", "医保", "报销")
	has("医保不在同一个省可以家庭共济吗", "医保", "家庭共济")
	has("河北省怎么用医保余额帮家人交医保", "家庭共济", "个人账户")
	has("上唇线条不流畅做射频紧肤效果怎样", "医美")
	has("上唇线条不流畅做面部吸脂有效果吗", "医美", "整形手术")
	has("上唇唇珠不明显做激光治疗有副作用吗", "医美")
	has("异地就医每年都要备案吗", "医保", "异地就医")
	has("医保余额能在外地使用吗", "医保", "异地就医", "个人账户")
	has("医保卡如何跨省使用", "医保", "异地就医")
	has("门诊慢特病管理制度和流程", "医保", "门诊慢特病")
	has("农村合作医疗380元报销范围", "医保", "新农合", "报销")
	has("交职工医保还要交农村医保吗", "医保", "新农合", "参保缴费")
	has("一年交14000养老退休领多少", "社保", "养老保险")
	has("人社局社保局医保局的区别", "社保")
	has("2025年陕西榆林做人工耳蜗植入术能走医保吗?", "医保", "报销", "耳鼻喉口腔")
	has("2025年广西治疗白带异常的医院有哪些", "妇科")
	has("2025年湖南常德治疗尿潴留的医院有哪些", "泌尿男科")
	has("甘肃白银治疗蚕蚀性角膜溃疡的医院排名", "眼科")
	has("霉菌能在水里生长吗", "健康生活", "居家卫生")
	has("怎么去除房间霉菌最快最有效", "居家卫生")
	has("宜宾异地医保政策", "医保", "异地就医")
	has("崇左扶绥医保备案", "医保", "异地就医")
}

// TestTopicShape checks every seed document: at least one topic, no
// duplicates, top-level names first and each subtopic under one of them, at
// most max_topics subtopics.
func TestTopicShape(t *testing.T) {
	e := Default()
	parent := map[string]string{}
	tops := map[string]bool{}
	for _, u := range e.tax.units {
		if u.sub == "" {
			tops[u.top] = true
		} else {
			parent[u.sub] = u.top
			tops[u.top] = true
		}
	}
	for _, d := range seedDocs(t) {
		r := e.Enrich(d.title, d.text)
		if len(r.Topics) == 0 {
			t.Errorf("%s %q: no topic", d.kind, d.title)
			continue
		}
		seen := map[string]bool{}
		subs := 0
		for i, tp := range r.Topics {
			if seen[tp] {
				t.Errorf("%q: duplicate topic %s in %v", d.title, tp, r.Topics)
			}
			seen[tp] = true
			if p, ok := parent[tp]; ok {
				subs++
				if !slices.Contains(r.Topics[:i], p) {
					t.Errorf("%q: subtopic %s before or without its topic %s in %v", d.title, tp, p, r.Topics)
				}
			} else if !tops[tp] {
				t.Errorf("%q: unknown topic %s", d.title, tp)
			} else if subs > 0 {
				t.Errorf("%q: top-level %s after a subtopic in %v", d.title, tp, r.Topics)
			}
		}
		if subs > e.tax.maxTopics {
			t.Errorf("%q: %d subtopics in %v", d.title, subs, r.Topics)
		}
	}
}

// TestSeedGolden pins places and topics of every seed document. After a
// deliberate change to the data, review the diff of
//
//	go test ./indexer/enrich -run TestSeedGolden -update
func TestSeedGolden(t *testing.T) {
	e := Default()
	var b strings.Builder
	b.WriteString("# kind\ttitle\tprovinces\tcities\ttopics (generated by TestSeedGolden -update; review diffs)\n")
	for _, d := range seedDocs(t) {
		r := e.Enrich(d.title, d.text)
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", d.kind, d.title,
			strings.Join(r.Provinces, ","), strings.Join(r.Cities, ","), strings.Join(r.Topics, ","))
	}
	path := filepath.Join("testdata", "seeds.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	got := strings.Split(b.String(), "\n")
	wl := strings.Split(string(want), "\n")
	for i := 0; i < max(len(got), len(wl)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got  %s\n want %s", i+1, g, w)
		}
	}
}

func TestPlaceWords(t *testing.T) {
	words := Default().PlaceWords()
	set := map[string]bool{}
	for _, w := range words {
		if set[w] {
			t.Errorf("duplicate place word %s", w)
		}
		set[w] = true
	}
	for _, w := range []string{"广西壮族自治区", "广西", "崇左市", "崇左", "扶绥县", "扶绥", "琼海", "宜宾",
		"黔东南苗族侗族自治州", "黔东南", "黔东南州", "内蒙", "香港", "台北"} {
		if !set[w] {
			t.Errorf("PlaceWords lacks %s", w)
		}
	}
	for _, w := range []string{"和县", "南县", "城区", "原阳", "西林", "比如", "安康"} {
		if set[w] {
			t.Errorf("PlaceWords has the weak name %s", w)
		}
	}
	if len(words) < 3500 {
		t.Errorf("only %d place words", len(words))
	}
	words[0] = "changed"
	if Default().PlaceWords()[0] == "changed" {
		t.Error("PlaceWords returns shared storage")
	}
}

func TestTopicNames(t *testing.T) {
	names := Default().TopicNames()
	if len(names) < 40 || names[0] != "医保" || names[1] != "异地就医" {
		t.Fatalf("TopicNames = %v", names)
	}
	set := map[string]bool{}
	for _, n := range names {
		if set[n] {
			t.Errorf("duplicate topic name %s", n)
		}
		set[n] = true
	}
	for _, n := range []string{"医保", "异地就医", "个人账户", "报销", "转移接续", "家庭共济", "门诊慢特病", "新农合",
		"社保", "社会救助", "低保", "疾病", "寄生虫病", "感染", "眼科", "皮肤", "肝病", "消化", "心血管",
		"神经", "内分泌", "就医", "医院", "在线问诊", "医美", "用药", "母婴", "饮食营养"} {
		if !set[n] {
			t.Errorf("TopicNames lacks %s", n)
		}
	}
}

func TestCustomTaxonomy(t *testing.T) {
	const js = `{"settings": {"threshold": 2, "title_weight": 2},
		"ignore": ["免责声明"],
		"topics": [
			{"name": "保险", "phrases": {"保险": 1},
			 "subtopics": [{"name": "车险", "phrases": {"车险": 2, "交强险": 2}}]},
			{"name": "天气", "subtopics": [{"name": "下雨", "phrases": {"下雨": 1, "暴雨": 2}}]}]}`
	e, err := New([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.TopicNames(); !reflect.DeepEqual(got, []string{"保险", "车险", "天气", "下雨"}) {
		t.Errorf("TopicNames = %v", got)
	}
	r := e.Enrich("交强险怎么买", "广西南宁下雨")
	if !reflect.DeepEqual(r.Topics, []string{"保险", "车险"}) {
		t.Errorf("topics = %v", r.Topics)
	}
	if !reflect.DeepEqual(r.Provinces, []string{"广西"}) {
		t.Errorf("a custom taxonomy keeps the gazetteer: %v", r.Provinces)
	}
	if r := e.Enrich("", "免责声明:下雨"); !reflect.DeepEqual(r.Topics, []string(nil)) {
		t.Errorf("ignored phrase scored: %v", r.Topics)
	}
	// The same in YAML, and the default stays untouched.
	yml := "topics:\n  - name: 保险\n    phrases: {保险: 5}\n"
	if e2, err := New([]byte(yml)); err != nil {
		t.Error(err)
	} else if r := e2.Enrich("保险", ""); !reflect.DeepEqual(r.Topics, []string{"保险"}) {
		t.Errorf("yaml topics = %v", r.Topics)
	}
	if Default().TopicNames()[0] != "医保" {
		t.Error("New changed the default")
	}
}

func TestTaxonomyErrors(t *testing.T) {
	cases := []struct{ file, want string }{
		{"", "empty"},
		{"topics: []", "no topics"},
		{"topics:\n  - name: 医保\n    phrases: {医保: 0}\n", `医保: phrase "医保": weight must be > 0`},
		{"topics:\n  - name: 医保\n    phrases: {医保: -1}\n", "weight must be > 0"},
		{"topics:\n  - name: 医保\n    subtopics:\n      - name: 报销\n        phrases: {\" \": 1}\n", "医保/报销: empty phrase"},
		{"topics:\n  - name: 医保\n    subtopics:\n      - name: 报销\n", "医保/报销: no phrases"},
		{"topics:\n  - name: 医保\n", "医保: no phrases and no subtopics"},
		{"topics:\n  - name: 医保\n    phrases: {a: 1}\n  - name: 医保\n    phrases: {b: 1}\n", `name "医保" already used by 医保`},
		{"topics:\n  - name: A\n    subtopics:\n      - name: B\n        phrases: {b: 1}\n  - name: C\n    subtopics:\n      - name: B\n        phrases: {c: 1}\n", `C/B: name "B" already used by A/B`},
		{"topics:\n  - name: A\n    subtopics:\n      - name: B\n        phrases: {b: 1}\n        subtopics:\n          - name: C\n            phrases: {c: 1}\n", "A/B: only two levels"},
		{"topics:\n  - phrases: {a: 1}\n", "topics[0]: bad name"},
		{"topics:\n  - name: A\n    phrase: {a: 1}\n", "field phrase not found"},
		{"settings: {threshold: 0}\ntopics:\n  - name: A\n    phrases: {a: 1}\n", "settings.threshold must be > 0"},
		{"settings: {max_topics: 0}\ntopics:\n  - name: A\n    phrases: {a: 1}\n", "settings.max_topics"},
		{"settings: {min_ratio: 2}\ntopics:\n  - name: A\n    phrases: {a: 1}\n", "settings.min_ratio"},
		{"ignore: [a]\ntopics:\n  - name: A\n    phrases: {a: 1}\n", `ignore[0]: "a" is also a topic phrase`},
		{"topics:\n  - name: A\n    phrases: {a: 1, a: 2}\n", "already defined"},
		{`{"topics": [{"name": "A", "phrases": {"a": "x"}}]}`, "JSON"},
		{`{"topics": [{"name": "A", "phrasez": {"a": 1}}]}`, "unknown field"},
	}
	for _, c := range cases {
		_, err := New([]byte(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got error %v, want one containing %q", c.file, err, c.want)
		}
	}
}

// TestConcurrent runs one enricher from many goroutines (meaningful under
// -race) and checks the results match a sequential run.
func TestConcurrent(t *testing.T) {
	docs := seedDocs(t)
	e := Default()
	want := make([]Result, len(docs))
	for i, d := range docs {
		want[i] = e.Enrich(d.title, d.text)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range docs {
				i := (k + g*13) % len(docs)
				if got := e.Enrich(docs[i].title, docs[i].text); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("goroutine %d, %q: %v != %v", g, docs[i].title, got, want[i])
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestEmpty(t *testing.T) {
	r := Default().Enrich("", "")
	if r.Provinces != nil || r.Cities != nil || r.Topics != nil {
		t.Errorf("empty document: %+v", r)
	}
	// Invalid UTF-8 and odd runes must not panic.
	Default().Enrich("\xff\xfe广西", "\U0001F600崇左\x00")
}

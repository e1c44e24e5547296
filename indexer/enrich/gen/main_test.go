package main

import "testing"

func TestShortNames(t *testing.T) {
	cases := []struct {
		f          func(string) string
		name, want string
	}{
		{provinceShort, "广西壮族自治区", "广西"},
		{provinceShort, "新疆维吾尔自治区", "新疆"},
		{provinceShort, "宁夏回族自治区", "宁夏"},
		{provinceShort, "内蒙古自治区", "内蒙古"},
		{provinceShort, "西藏自治区", "西藏"},
		{provinceShort, "香港特别行政区", "香港"},
		{provinceShort, "北京市", "北京"},
		{provinceShort, "黑龙江省", "黑龙江"},
		{cityShort, "崇左市", "崇左"},
		{cityShort, "黔东南苗族侗族自治州", "黔东南"},
		{cityShort, "延边朝鲜族自治州", "延边"},
		{cityShort, "伊犁哈萨克自治州", "伊犁"},
		{cityShort, "克孜勒苏柯尔克孜自治州", "克孜勒苏"},
		{cityShort, "海西蒙古族藏族自治州", "海西"},
		{cityShort, "大理白族自治州", "大理"},
		{cityShort, "锡林郭勒盟", "锡林郭勒"},
		{cityShort, "阿克苏地区", "阿克苏"},
		{countyShort, "扶绥县", "扶绥"},
		{countyShort, "琼海市", "琼海"},
		{countyShort, "和县", ""},
		{countyShort, "城区", ""},
		{countyShort, "长阳土家族自治县", "长阳"},
		{countyShort, "龙胜各族自治县", "龙胜"},
		{countyShort, "鄂温克族自治旗", "鄂温克"},
		{countyShort, "梅里斯达斡尔族区", "梅里斯"},
		{countyShort, "神农架林区", "神农架"},
		{countyShort, "浦东新区", "浦东"},
		{countyShort, "清新区", "清新"},
		{countyShort, "白云鄂博矿区", "白云鄂博"},
		{countyShort, "巴林左旗", ""},
		{countyShort, "台前县", "台前"},
		{countyShort, "三都水族自治县", "三都"},
	}
	for _, c := range cases {
		if got := c.f(c.name); got != c.want {
			t.Errorf("%s -> %q, want %q", c.name, got, c.want)
		}
	}
}

using System.Text.Json;
using EipCni.Kube;

namespace EipCni.Tests.Kube;

public sealed class KubeconfigYamlTests
{
    private static string Canonical(object? tree) => tree switch
    {
        null => "null",
        string s => JsonSerializer.Serialize(s),
        Dictionary<string, object?> m => "{" + string.Join(",", m.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => JsonSerializer.Serialize(kv.Key) + ":" + Canonical(kv.Value))) + "}",
        List<object?> l => "[" + string.Join(",", l.Select(Canonical)) + "]",
        _ => throw new InvalidOperationException(tree.GetType().Name),
    };

    private static string Parse(string yaml) => Canonical(KubeconfigYaml.Parse(yaml, "test"));

    [Fact]
    public void Lists_at_the_parents_indent_and_indented_lists_read_the_same()
    {
        const string kubectl = """
            clusters:
            - cluster:
                server: https://10.0.0.1:6443
              name: a
            - name: b
              cluster: {}
            current-context: a
            """;
        const string indented = """
            clusters:
              - name: a
                cluster:
                  server: https://10.0.0.1:6443
              -   name: b
                  cluster: {}
            current-context: a
            """;

        Assert.Equal(Parse(kubectl), Parse(indented));
        Assert.Equal("""{"clusters":[{"cluster":{"server":"https://10.0.0.1:6443"},"name":"a"},{"cluster":{},"name":"b"}],"current-context":"a"}""",
            Parse(kubectl));
    }

    [Theory]
    [InlineData("v: plain text # comment", "plain text")]
    [InlineData("v: \"a # not a comment\"", "a # not a comment")]
    [InlineData("v: \"tab\\tquote\\\" slash\\\\ \\u00e9\"", "tab\tquote\" slash\\ é")]
    [InlineData("v: 'it''s # kept'", "it's # kept")]
    [InlineData("v: https://h:6443/path#frag", "https://h:6443/path#frag")]
    [InlineData("\"quoted key\": x\nv: y", "y")]
    [InlineData("v: \"\"", "")]
    public void Scalars(string yaml, string expected)
    {
        var map = (Dictionary<string, object?>)KubeconfigYaml.Parse(yaml, "test")!;
        Assert.Equal(expected, map["v"]);
    }

    [Theory]
    [InlineData("v:")]
    [InlineData("v: null")]
    [InlineData("v: ~")]
    public void Null_forms(string yaml) => Assert.Null(((Dictionary<string, object?>)KubeconfigYaml.Parse(yaml, "test")!)["v"]);

    [Fact]
    public void Flow_collections_on_one_line()
    {
        Assert.Equal("""{"v":{"a":["x","y z",{}],"b":"c:d"}}""", Parse("v: {a: [x, \"y z\", {}], b: 'c:d'}"));
        Assert.Equal("""{"v":[]}""", Parse("v: []"));
    }

    [Fact]
    public void A_block_scalar_can_be_a_sequence_item_as_in_a_pods_args()
    {
        const string yaml = """
            args:
            - |
              set -e
              exec sleep 3600
            - -x
            """;
        Assert.Equal("""{"args":["set -e\nexec sleep 3600\n","-x"]}""", Parse(yaml));
    }

    [Fact]
    public void Block_scalars_keep_or_fold_lines()
    {
        const string yaml = """
            literal: |
              -----BEGIN CERTIFICATE-----
              MIIB # not a comment
              -----END CERTIFICATE-----
            stripped: |-
              one
              two
            folded: >
              one
              two

              three
            after: x
            """;
        var map = (Dictionary<string, object?>)KubeconfigYaml.Parse(yaml, "test")!;
        Assert.Equal("-----BEGIN CERTIFICATE-----\nMIIB # not a comment\n-----END CERTIFICATE-----\n", map["literal"]);
        Assert.Equal("one\ntwo", map["stripped"]);
        Assert.Equal("one two\nthree\n", map["folded"]);
        Assert.Equal("x", map["after"]);
    }

    [Fact]
    public void Lists_of_scalars_and_nested_lists()
    {
        Assert.Equal("""{"args":["a","b c",null,["d"]]}""", Parse("args:\n- a\n- \"b c\"\n-\n- - d"));
    }

    [Fact]
    public void A_document_marker_and_windows_line_ends_are_accepted()
    {
        Assert.Equal("""{"a":"b","c":"d"}""", Parse("---\r\na: b\r\nc: d\r\n"));
    }

    [Fact]
    public void JSON_reads_into_the_same_tree()
    {
        const string json = """{"clusters":[{"name":"a","cluster":{"server":"https://h","insecure-skip-tls-verify":false}}],"current-context":null}""";
        Assert.Equal("""{"clusters":[{"cluster":{"insecure-skip-tls-verify":"false","server":"https://h"},"name":"a"}],"current-context":null}""",
            Parse(json));
    }

    [Theory]
    [InlineData("a: b\n\tc: d", "line 2", "tabs")]
    [InlineData("a: \"open", "line 1", "unterminated quoted string")]
    [InlineData("a: b\n   c: d", "line 2", "indentation")]
    [InlineData("a: b\na: c", "line 2", "duplicate key \"a\"")]
    [InlineData("a: &anchor b", "line 1", "anchors")]
    [InlineData("a: b\n---\nc: d", "line 2", "more than one YAML document")]
    [InlineData("a: {b: c", "line 1", "unterminated flow")]
    [InlineData("a: 'x' y", "line 1", "after a quoted string")]
    [InlineData("just text\nmore: x", "line 2", "unexpected")]
    [InlineData("", "line 1", "empty")]
    [InlineData("{\"a\": }", "line 1", "not valid JSON")]
    public void Malformed_input_names_the_line(string yaml, string field, string problem)
    {
        var e = Assert.Throws<KubeconfigException>(() => KubeconfigYaml.Parse(yaml, "/etc/kc"));
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("kubeconfig /etc/kc: " + field, e.Message);
    }
}

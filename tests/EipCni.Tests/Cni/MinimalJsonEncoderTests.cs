using System.Text.Encodings.Web;
using System.Text.Json;

namespace EipCni.Tests.Cni;

/// <summary>The encoder of every JSON document eip-cni writes: only what JSON needs is escaped, and the result parses back.</summary>
public class MinimalJsonEncoderTests
{
    private static string Write(string value, JavaScriptEncoder encoder)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = encoder }))
            w.WriteStringValue(value);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Theory]
    [InlineData("plain ascii: /var/run/netns/cni-1234 10.0.1.7/24", "\"plain ascii: /var/run/netns/cni-1234 10.0.1.7/24\"")]
    [InlineData("say \"hi\" \\ back", "\"say \\\"hi\\\" \\\\ back\"")]
    [InlineData("line\nbreak\ttab\r\u0001", "\"line\\nbreak\\ttab\\r\\u0001\"")]
    [InlineData("<tag> & 'quote' +", "\"<tag> & 'quote' +\"")] // no HTML escaping: these documents never go into a page
    [InlineData("日本語 Grüße 😀", "\"日本語 Grüße 😀\"")]
    [InlineData("del\u007f c1\u0085 ls\u2028", "\"del\\u007F c1\\u0085 ls\\u2028\"")] // every line stays one line for any reader
    public void Escapes_only_what_json_needs(string value, string expected)
    {
        var written = Write(value, MinimalJsonEncoder.Instance);
        Assert.Equal(expected, written);
        Assert.Equal(value, JsonDocument.Parse(written).RootElement.GetString()); // and reads back the same
    }

    [Fact]
    public void A_lone_surrogate_becomes_the_replacement_character_not_an_exception()
    {
        var written = Write("a\ud800b", MinimalJsonEncoder.Instance);
        Assert.Equal("a\uFFFDb", JsonDocument.Parse(written).RootElement.GetString());
    }

    [Fact]
    public void Agrees_with_the_relaxed_encoder_on_ordinary_text()
    {
        foreach (var s in new[] { "pod default/web-0", "EIP eip-123 bound to 10.0.1.7", "Ärger: ü", "q\"b\\" })
            Assert.Equal(Write(s, JavaScriptEncoder.UnsafeRelaxedJsonEscaping), Write(s, MinimalJsonEncoder.Instance));
    }
}

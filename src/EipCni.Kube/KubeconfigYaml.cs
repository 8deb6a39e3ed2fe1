using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EipCni.Kube;

/// <summary>
/// Reads the YAML subset kubectl and installers write for kubeconfigs: block mappings and sequences (lists at the
/// parent's indent or deeper), plain/single/double-quoted scalars, literal and folded block scalars, one-line flow
/// collections (<c>preferences: {}</c>), comments; a block scalar may be a sequence item (<c>- |</c>). Anchors, aliases, tags and multi-document files are refused.
/// JSON kubeconfigs are read with System.Text.Json. The tree is Dictionary&lt;string, object?&gt; / List&lt;object?&gt; / string / null.
/// </summary>
internal sealed class KubeconfigYaml
{
    private readonly string _source;
    private readonly List<Line> _lines;
    private int _pos;

    private KubeconfigYaml(string source, List<Line> lines)
    {
        _source = source;
        _lines = lines;
    }

    private sealed record Line(int Number, int Indent, string Text, string Raw)
    {
        public bool IsBlank => Text.Length == 0;
        public bool IsSequenceItem => Text == "-" || Text.StartsWith("- ", StringComparison.Ordinal);
    }

    public static object? Parse(string text, string source)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] == '{') return ParseJson(text, source);

        var lines = new List<Line>();
        var number = 0;
        foreach (var rawLine in text.Replace("\r\n", "\n").Split('\n'))
        {
            number++;
            var indent = 0;
            while (indent < rawLine.Length && rawLine[indent] == ' ') indent++;
            var content = StripComment(rawLine[indent..]).TrimEnd();
            if (content.Length > 0 && content[0] == '\t')
                throw new KubeconfigException(source, $"line {number}", "tabs are not allowed for indentation in YAML");
            if (indent == 0 && content == "---")
            {
                if (lines.Any(l => !l.IsBlank)) throw new KubeconfigException(source, $"line {number}", "more than one YAML document");
                content = "";
            }
            if (indent == 0 && content == "...") break;
            lines.Add(new Line(number, indent, content, rawLine));
        }

        var parser = new KubeconfigYaml(source, lines);
        var first = parser.PeekNonBlank();
        if (first is null) throw new KubeconfigException(source, "line 1", "the file is empty");
        var root = parser.ParseBlock(first.Indent);
        var rest = parser.PeekNonBlank();
        if (rest is not null) throw parser.Error(rest, "unexpected content (check the indentation)");
        return root;
    }

    // ---- block structure ----

    private Line? PeekNonBlank()
    {
        while (_pos < _lines.Count && _lines[_pos].IsBlank) _pos++;
        return _pos < _lines.Count ? _lines[_pos] : null;
    }

    private object? ParseBlock(int indent)
    {
        var line = PeekNonBlank()!;
        if (line.IsSequenceItem) return ParseSequence(indent);
        if (SplitKey(line) is not null) return ParseMapping(indent);
        _pos++;
        var value = ParseInline(line, line.Text);
        if (PeekNonBlank() is { } next && next.Indent > indent)
            throw Error(next, "multi-line plain scalars are not supported; quote the value or use a block scalar (|)");
        return value;
    }

    private Dictionary<string, object?> ParseMapping(int indent)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (PeekNonBlank() is { } line && line.Indent == indent && !line.IsSequenceItem)
        {
            var split = SplitKey(line) ?? throw Error(line, "expected \"key: value\"");
            if (map.ContainsKey(split.Key)) throw Error(line, $"duplicate key \"{split.Key}\"");
            _pos++;
            object? value;
            if (split.Value.Length == 0)
            {
                var next = PeekNonBlank();
                value = next is not null && (next.Indent > indent || (next.Indent == indent && next.IsSequenceItem))
                    ? ParseBlock(next.Indent)
                    : null;
            }
            else if (split.Value[0] is '|' or '>')
            {
                value = ParseBlockScalar(line, split.Value, indent);
            }
            else
            {
                value = ParseInline(line, split.Value);
            }
            map[split.Key] = value;
        }
        if (PeekNonBlank() is { } deeper && deeper.Indent > indent) throw Error(deeper, "unexpected indentation");
        return map;
    }

    private List<object?> ParseSequence(int indent)
    {
        var list = new List<object?>();
        while (PeekNonBlank() is { } line && line.Indent == indent && line.IsSequenceItem)
        {
            var after = line.Text.Length == 1 ? "" : line.Text[2..];
            var rest = after.TrimStart(' ');
            if (rest.Length == 0)
            {
                _pos++;
                var next = PeekNonBlank();
                list.Add(next is not null && next.Indent > indent ? ParseBlock(next.Indent) : null);
                continue;
            }
            if (rest[0] is '|' or '>')
            {
                _pos++;
                list.Add(ParseBlockScalar(line, rest, indent)); // "- |" (a pod's script in args): its lines sit deeper than the dash
                continue;
            }
            // "- key: value" opens a mapping whose other keys sit at the column of "key": reparse the rest as its own line.
            var column = indent + 2 + (after.Length - rest.Length);
            _lines[_pos] = new Line(line.Number, column, rest, line.Raw);
            list.Add(ParseBlock(column));
        }
        if (PeekNonBlank() is { } deeper && deeper.Indent > indent) throw Error(deeper, "unexpected indentation");
        return list;
    }

    private string ParseBlockScalar(Line header, string indicator, int parentIndent)
    {
        var folded = indicator[0] == '>';
        var chomp = indicator.Contains('-') ? '-' : indicator.Contains('+') ? '+' : ' ';
        var explicitIndent = indicator.FirstOrDefault(char.IsDigit);
        var content = new List<string>();
        var contentIndent = explicitIndent == default ? -1 : parentIndent + (explicitIndent - '0');
        while (_pos < _lines.Count)
        {
            var raw = _lines[_pos].Raw;
            var spaces = 0;
            while (spaces < raw.Length && raw[spaces] == ' ') spaces++;
            var blank = raw.Trim().Length == 0;
            if (!blank && spaces <= parentIndent) break;
            if (!blank && contentIndent < 0) contentIndent = spaces;
            if (!blank && spaces < contentIndent) throw Error(_lines[_pos], "block scalar line is less indented than its first line");
            content.Add(blank ? "" : raw[contentIndent..]);
            _pos++;
        }
        var trailing = 0;
        while (content.Count > 0 && content[^1].Length == 0) { content.RemoveAt(content.Count - 1); trailing++; }

        var text = new StringBuilder();
        for (var i = 0; i < content.Count; i++)
        {
            if (i > 0 && !folded) text.Append('\n');
            // Folding: a single line break becomes a space; each blank line stands for one newline.
            else if (i > 0 && content[i].Length == 0) text.Append('\n');
            else if (i > 0 && content[i - 1].Length > 0) text.Append(' ');
            text.Append(content[i]);
        }
        if (content.Count == 0) return "";
        return chomp switch
        {
            '-' => text.ToString(),
            '+' => text.Append('\n', trailing + 1).ToString(),
            _ => text.Append('\n').ToString(),
        };
    }

    // ---- keys and scalars ----

    private (string Key, string Value)? SplitKey(Line line)
    {
        var text = line.Text;
        if (text.Length == 0) return null;
        if (text[0] is '"' or '\'')
        {
            var end = 0;
            var key = ReadQuoted(line, text, ref end);
            var after = text[end..].TrimStart(' ');
            if (!after.StartsWith(':')) return null;
            return (key, after[1..].Trim());
        }
        if (text[0] is '{' or '[') return null;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ':' && (i + 1 == text.Length || text[i + 1] == ' '))
                return (text[..i].TrimEnd(), text[(i + 1)..].Trim());
        }
        return null;
    }

    private object? ParseInline(Line line, string text)
    {
        var c = text[0];
        if (c is '&' or '*' or '!') throw Error(line, "YAML anchors, aliases and tags are not supported in a kubeconfig");
        if (c is '{' or '[')
        {
            var pos = 0;
            var value = ParseFlow(line, text, ref pos);
            SkipSpaces(text, ref pos);
            if (pos != text.Length) throw Error(line, "unexpected text after a flow collection (flow collections must fit on one line)");
            return value;
        }
        if (c is '"' or '\'')
        {
            var end = 0;
            var value = ReadQuoted(line, text, ref end);
            if (text[end..].Trim().Length != 0) throw Error(line, "unexpected text after a quoted string");
            return value;
        }
        return Plain(text);
    }

    private static string? Plain(string text) => text is "null" or "Null" or "NULL" or "~" ? null : text;

    private object? ParseFlow(Line line, string text, ref int pos)
    {
        var open = text[pos++];
        var close = open == '{' ? '}' : ']';
        var map = open == '{' ? new Dictionary<string, object?>(StringComparer.Ordinal) : null;
        var list = open == '[' ? new List<object?>() : null;
        while (true)
        {
            SkipSpaces(text, ref pos);
            if (pos >= text.Length) throw Error(line, $"unterminated flow collection (missing '{close}')");
            if (text[pos] == close) { pos++; return (object?)map ?? list; }
            if (map is not null)
            {
                var key = FlowScalar(line, text, ref pos, isKey: true) ?? throw Error(line, "null key in flow mapping");
                SkipSpaces(text, ref pos);
                if (pos >= text.Length || text[pos] != ':') throw Error(line, $"expected ':' after \"{key}\" in flow mapping");
                pos++;
                SkipSpaces(text, ref pos);
                map[key] = FlowValue(line, text, ref pos);
            }
            else
            {
                list!.Add(FlowValue(line, text, ref pos));
            }
            SkipSpaces(text, ref pos);
            if (pos >= text.Length) throw Error(line, $"unterminated flow collection (missing '{close}')");
            if (text[pos] == ',') { pos++; continue; }
            if (pos < text.Length && text[pos] == close) continue;
            throw Error(line, $"expected ',' or '{close}' in flow collection");
        }
    }

    private object? FlowValue(Line line, string text, ref int pos) =>
        pos < text.Length && text[pos] is '{' or '[' ? ParseFlow(line, text, ref pos) : FlowScalar(line, text, ref pos, isKey: false);

    private string? FlowScalar(Line line, string text, ref int pos, bool isKey)
    {
        if (pos < text.Length && text[pos] is '"' or '\'') return ReadQuoted(line, text, ref pos);
        var start = pos;
        while (pos < text.Length && text[pos] is not (',' or '}' or ']') && !(isKey && text[pos] == ':')) pos++;
        return Plain(text[start..pos].Trim());
    }

    private static void SkipSpaces(string text, ref int pos)
    {
        while (pos < text.Length && text[pos] == ' ') pos++;
    }

    private string ReadQuoted(Line line, string text, ref int pos)
    {
        var quote = text[pos++];
        var sb = new StringBuilder();
        while (pos < text.Length)
        {
            var c = text[pos++];
            if (quote == '\'' && c == '\'')
            {
                if (pos < text.Length && text[pos] == '\'') { sb.Append('\''); pos++; continue; }
                return sb.ToString();
            }
            if (quote == '"' && c == '"') return sb.ToString();
            if (quote == '"' && c == '\\')
            {
                if (pos >= text.Length) break;
                var e = text[pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '0': sb.Append('\0'); break;
                    case '"': case '\\': case '/': case ' ': sb.Append(e); break;
                    case 'x': sb.Append(Hex(line, text, ref pos, 2)); break;
                    case 'u': sb.Append(Hex(line, text, ref pos, 4)); break;
                    case 'U': sb.Append(Hex(line, text, ref pos, 8)); break;
                    default: throw Error(line, $"unknown escape \\{e} in a double-quoted string");
                }
                continue;
            }
            sb.Append(c);
        }
        throw Error(line, "unterminated quoted string (quoted strings must fit on one line)");
    }

    private string Hex(Line line, string text, ref int pos, int digits)
    {
        if (pos + digits > text.Length || !int.TryParse(text.AsSpan(pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
            throw Error(line, "bad hexadecimal escape in a double-quoted string");
        pos += digits;
        return char.ConvertFromUtf32(code);
    }

    /// <summary>Cuts a "# comment" that is outside quotes and starts a line or follows a space.</summary>
    private static string StripComment(string text)
    {
        char quote = default;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != default)
            {
                if (quote == '"' && c == '\\') { i++; continue; }
                if (quote == '\'' && c == '\'' && i + 1 < text.Length && text[i + 1] == '\'') { i++; continue; }
                if (c == quote) quote = default;
                continue;
            }
            var tokenStart = i == 0 || text[i - 1] is ' ' or '[' or '{' or ',';
            if (c is '"' or '\'' && tokenStart) { quote = c; continue; }
            if (c == '#' && (i == 0 || text[i - 1] == ' ')) return text[..i];
        }
        return text;
    }

    private KubeconfigException Error(Line line, string problem) => new(_source, $"line {line.Number}", problem);

    // ---- JSON ----

    private static object? ParseJson(string text, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return FromJson(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new KubeconfigException(source, $"line {(e.LineNumber ?? 0) + 1}", "not valid JSON: " + e.Message.Split(" LineNumber")[0], e);
        }
    }

    private static Dictionary<string, object?> FromJsonObject(JsonElement e)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject()) map[p.Name] = FromJson(p.Value); // last one wins, as in Go's encoding/json
        return map;
    }

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => FromJsonObject(e),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Null => null,
        _ => e.GetRawText(), // numbers, true, false: kept as their text, like plain YAML scalars
    };
}

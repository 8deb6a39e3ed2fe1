using System.Text;
using System.Text.Json.Nodes;
using System.Xml;

namespace AliyunSim.Api;

/// <summary>Renders an OpenAPI answer as JSON, or as XML for a V2 call that did not ask for Format=JSON (XML is V2's default).</summary>
public static class ResponseBody
{
    public static string Render(JsonObject body, string rootName, bool xml)
    {
        if (!xml) return body.ToJsonString(AliyunSim.Api.SimJson.Options);
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { OmitXmlDeclaration = false, Encoding = Encoding.UTF8 }))
        {
            w.WriteStartElement(rootName);
            WriteMembers(w, body);
            w.WriteEndElement();
        }
        return sb.ToString();
    }

    static void WriteMembers(XmlWriter w, JsonObject o)
    {
        foreach (var (name, value) in o)
        {
            if (value is JsonArray items)
            {
                // Lists are wrapped in JSON ("Tags": {"Tag": [..]}); in XML each item repeats the element name.
                foreach (var item in items) WriteValue(w, name, item);
            }
            else
            {
                WriteValue(w, name, value);
            }
        }
    }

    static void WriteValue(XmlWriter w, string name, JsonNode? value)
    {
        w.WriteStartElement(name);
        if (value is JsonObject child) WriteMembers(w, child);
        else if (value is not null) w.WriteString(value is JsonValue v && v.TryGetValue<bool>(out var b) ? (b ? "true" : "false") : value.ToString());
        w.WriteEndElement();
    }
}

using System.Text;
using System.Text.Json.Nodes;

namespace EipCni.Node;

/// <summary>JSON as the operator commands print it: indented, non-ASCII as it is, one newline at the end (as install writes configs).</summary>
public static class OperatorJson
{
    public static string Text(JsonNode node) => Encoding.UTF8.GetString(ConfJson.Serialize(node));
}

using System.Text.Encodings.Web;
using System.Text.Json;

namespace AliyunSim.Api;

/// <summary>Serializer options for every answer: no HTML-style escaping of '+', '&amp;' or '/' (the real API sends them raw).</summary>
public static class SimJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EipCni.Kube;

/// <summary>
/// A resource type the client can list and watch: where its collection lives and how its wire shape becomes the view the
/// agent reads. The instances are in <see cref="KubeResources"/>.
/// </summary>
public abstract class KubeResource<T> where T : class, IKubeObject
{
    private protected KubeResource(string plural) => Plural = plural;

    /// <summary>pods, configmaps: for messages.</summary>
    public string Plural { get; }

    /// <summary>The collection path, in one namespace or (null) across all of them.</summary>
    internal abstract string CollectionPath(string? ns);

    internal abstract KubeList<T> DecodeList(byte[] json);

    internal abstract T DecodeItem(JsonElement json);
}

/// <summary>A <see cref="KubeResource{T}"/> with its source-generated wire type.</summary>
internal sealed class KubeResource<TDto, T>(
    string plural,
    Func<string?, string> collectionPath,
    JsonTypeInfo<TDto> item,
    JsonTypeInfo<ListDto<TDto>> list,
    Func<TDto, T> toView) : KubeResource<T>(plural) where TDto : class where T : class, IKubeObject
{
    internal override string CollectionPath(string? ns) => collectionPath(ns);

    internal override KubeList<T> DecodeList(byte[] json)
    {
        var dto = JsonSerializer.Deserialize(json, list) ?? throw new JsonException("the list is null");
        var items = (dto.Items ?? []).OfType<TDto>().Select(toView).ToList();
        return new KubeList<T>(items, dto.Metadata?.ResourceVersion ?? "");
    }

    internal override T DecodeItem(JsonElement json) =>
        toView(json.Deserialize(item) ?? throw new JsonException("the object is null"));
}

using System.Text.Json;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    private const int MaxEventMessage = 1024; // events.k8s.io caps the note at 1 kB; keep both APIs' events readable alike

    public Task<string> CreateEventAsync(PodEvent podEvent, CancellationToken cancellationToken) =>
        CreateEventAsync(new KubeObjectRef("v1", "Pod", podEvent.Namespace, podEvent.PodName, podEvent.PodUid), podEvent.Type,
            podEvent.Reason, podEvent.Message, cancellationToken);

    /// <summary>Records a core/v1 Event about any namespaced object (a ConfigMap the agent cannot use) and returns its name.</summary>
    public async Task<string> CreateEventAsync(KubeObjectRef target, PodEventType type, string reason, string message,
        CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var name = EventName(target.Name, now);
        message = message.Length <= MaxEventMessage ? message : message[..(MaxEventMessage - 3)] + "...";
        var dto = new EventDto
        {
            Metadata = new ObjectMetaDto { Name = name, Namespace = target.Namespace },
            InvolvedObject = new ObjectReferenceDto
            {
                ApiVersion = target.ApiVersion, Kind = target.Kind, Namespace = target.Namespace, Name = target.Name, Uid = target.Uid,
            },
            Reason = reason,
            Message = message,
            Type = type == PodEventType.Warning ? "Warning" : "Normal",
            Source = new EventSourceDto { Component = _options.Component, Host = _options.NodeName },
            FirstTimestamp = KubeTime.Seconds(now),
            LastTimestamp = KubeTime.Seconds(now),
            ReportingComponent = _options.Component,
            ReportingInstance = _options.NodeName ?? _options.Component,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(dto, KubeJsonContext.Default.EventDto);
        // A retry after a lost answer meets our own first attempt: AlreadyExists then means it was recorded.
        await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Escape(target.Namespace)}/events", body, "application/json",
            KubeJsonContext.Default.ObjectDto, RetryConflicts.No, cancellationToken,
            acceptFailure: (e, attempt) => attempt > 1 && e.IsAlreadyExists).ConfigureAwait(false);
        return name;
    }

    /// <summary>"name.hex(unix nanoseconds)", as client-go's recorder names events, kept within the 253-character name limit.</summary>
    internal static string EventName(string objectName, DateTimeOffset now)
    {
        var nanos = (now.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        var suffix = "." + nanos.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var prefix = objectName.Length + suffix.Length <= 253 ? objectName : objectName[..(253 - suffix.Length)];
        return prefix + suffix;
    }
}

using System.Text.Json;

namespace EipCni.Kube;

public sealed partial class KubeClient
{
    private const int MaxEventMessage = 1024; // events.k8s.io caps the note at 1 kB; keep both APIs' events readable alike

    public async Task<string> CreateEventAsync(PodEvent podEvent, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var name = EventName(podEvent.PodName, now);
        var message = podEvent.Message.Length <= MaxEventMessage ? podEvent.Message : podEvent.Message[..(MaxEventMessage - 3)] + "...";
        var dto = new EventDto
        {
            Metadata = new ObjectMetaDto { Name = name, Namespace = podEvent.Namespace },
            InvolvedObject = new ObjectReferenceDto { Namespace = podEvent.Namespace, Name = podEvent.PodName, Uid = podEvent.PodUid },
            Reason = podEvent.Reason,
            Message = message,
            Type = podEvent.Type == PodEventType.Warning ? "Warning" : "Normal",
            Source = new EventSourceDto { Component = _options.Component, Host = _options.NodeName },
            FirstTimestamp = KubeTime.Seconds(now),
            LastTimestamp = KubeTime.Seconds(now),
            ReportingComponent = _options.Component,
            ReportingInstance = _options.NodeName ?? _options.Component,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(dto, KubeJsonContext.Default.EventDto);
        // A retry after a lost answer meets our own first attempt: AlreadyExists then means it was recorded.
        await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Escape(podEvent.Namespace)}/events", body, "application/json",
            KubeJsonContext.Default.ObjectDto, RetryConflicts.No, cancellationToken,
            acceptFailure: (e, attempt) => attempt > 1 && e.IsAlreadyExists).ConfigureAwait(false);
        return name;
    }

    /// <summary>"pod.hex(unix nanoseconds)", as client-go's recorder names events, kept within the 253-character name limit.</summary>
    internal static string EventName(string podName, DateTimeOffset now)
    {
        var nanos = (now.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        var suffix = "." + nanos.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var prefix = podName.Length + suffix.Length <= 253 ? podName : podName[..(253 - suffix.Length)];
        return prefix + suffix;
    }
}

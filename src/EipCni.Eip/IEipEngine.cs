using EipCni.Cni;

namespace EipCni.Eip;

/// <summary>
/// The EIP work behind the CNI verbs. The plugin only calls it when there may be something to do, so a pod without
/// an EIP never pays for the cloud or Kubernetes clients.
/// </summary>
public interface IEipEngine
{
    /// <summary>Binds the pod's EIP (or does nothing when the pod does not ask); returns a summary for the log.</summary>
    Task<string> AddAsync(AttachmentContext ctx, CancellationToken ct);

    /// <summary>Gives back what ADD took; never fails because something is already gone.</summary>
    Task<string> DelAsync(AttachmentContext ctx, CancellationToken ct);

    Task CheckAsync(AttachmentContext ctx, CancellationToken ct);

    Task<string> GcAsync(AttachmentContext ctx, CancellationToken ct);

    /// <summary>STATUS with the feature on: what ADD needs, checked locally; throws 50 naming what is missing.</summary>
    string Status(AttachmentContext ctx);
}

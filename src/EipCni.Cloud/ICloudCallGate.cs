using System.Globalization;

namespace EipCni.Cloud;

/// <summary>Limits how many cloud calls run at once; a held slot is released by disposing it.</summary>
public interface ICloudCallGate
{
    /// <summary>Waits for a slot within <paramref name="cancellationToken"/> (throws <see cref="OperationCanceledException"/> when it fires).</summary>
    ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken);
}

using System.Globalization;

namespace EipCni.Cloud;

/// <summary>No limit (tests, read-only tools).</summary>
public sealed class UnlimitedCloudCallGate : ICloudCallGate
{
    public static readonly UnlimitedCloudCallGate Instance = new();
    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable>(NoSlot.Instance);

    private sealed class NoSlot : IDisposable
    {
        public static readonly NoSlot Instance = new();
        public void Dispose() { }
    }
}

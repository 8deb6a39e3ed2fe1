namespace CniFuzzer;

/// <summary>
/// A seeded generator (SplitMix64) whose streams do not depend on how close the seeds are: System.Random's seeded
/// algorithm gives related seeds related sequences (the third draw of every case came out the same).
/// </summary>
public sealed class FuzzRandom(long seed) : Random
{
    private ulong _state = (ulong)seed;

    private ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    protected override double Sample() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public override double NextDouble() => Sample();

    public override int Next() => (int)(NextUInt64() >> 33);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)(((NextUInt64() >> 32) * (ulong)maxValue) >> 32);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)(minValue + (long)(((NextUInt64() >> 32) * (ulong)((long)maxValue - minValue)) >> 32));
    }

    public override void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
    }

    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());
}

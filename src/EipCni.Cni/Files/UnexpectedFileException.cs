using EipCni.Cni;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace EipCni;

/// <summary>A file under the state dir that eip-cni cannot have written that way (a link, a FIFO, too large, exposed).</summary>
public sealed class UnexpectedFileException(string message) : IOException(message);

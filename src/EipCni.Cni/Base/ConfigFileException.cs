using System.Text;
using Tmds.Linux;

namespace EipCni;

/// <summary>A configuration file that is not a regular file or is over its size limit (the message names it and the limit).</summary>
public sealed class ConfigFileException(string message) : IOException(message);

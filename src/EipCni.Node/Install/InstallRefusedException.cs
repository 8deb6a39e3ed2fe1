namespace EipCni.Node;

/// <summary>
/// Install cannot proceed without guessing (no config yet, an active config the runtime itself could not load, a plugin
/// config eip-cni would refuse): nothing was written. The message names the file and what is wrong with it.
/// </summary>
public sealed class InstallRefusedException(string message) : Exception(message);

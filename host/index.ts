/**
 * `lattice-ipc/node`: the Node.js host. `NodeHost` runs a node on worker threads (one per core)
 * with its network on real UDP/TCP sockets; `node_net_env` gives the portable network layers
 * real sockets and timers; `open_node_gpu` opens WebGPU through the optional `webgpu` package.
 */
export {
  CLOSE_TIMEOUT_MS_DEFAULT,
  NodeHost,
  type NodeHostOptions,
  type NodeNetworkOptions,
  type ProcessResult,
  type ProcessSpec,
} from './node_host.js';
export { create_net_driver, node_net_env, node_timers, os_identity } from './net/node_net.js';
export { NodeTransport } from './net/node_transport.js';
export { system_random } from './net/system_random.js';
export { AEAD_BACKENDS, node_aead_choice } from './net/aead_choice.js';
export { NodeXChaCha20Poly1305, node_aead } from './net/aead_node.js';
export { SodiumNativeXChaCha20Poly1305, sodium_native_aead } from './net/aead_sodium_native.js';
export {
  NoAdapterError,
  WEBGPU_PACKAGE_VERSION,
  WebGpuMissingError,
  open_node_gpu,
  type NodeGpuOptions,
} from './gpu/node_webgpu.js';
export { SERVICES, type ServiceArgs, type ServiceName, type ServiceTarget } from './node_services.js';

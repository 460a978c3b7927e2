export { BUCKETS, SUBJECTS, TRUST_BUNDLE_KEY, MESH_CONFIG_KEY, configKey, parseConfigKey, proxyStatusKey, type BucketName, type SubjectName } from './names.ts';
export {
  CONFIG_KINDS,
  ObjectMetaSchema,
  ConfigResourceSchema,
  ConfigChangedSchema,
  ConfigRejectedSchema,
  FieldErrorSchema,
  TrustBundleSchema,
  TrustBundleChangedSchema,
  MeshConfigSchema,
  ProxyStatusSchema,
  TypeSyncSchema,
  type ConfigKind,
  type ConfigResource,
  type ConfigChanged,
  type ConfigRejected,
  type FieldError,
  type TrustBundle,
  type TrustBundleChanged,
  type MeshConfig,
  type ProxyStatus,
} from './messages.ts';
export { connectBus, TypedKv, type Bus, type BusOptions, type WatchEvent, type WatchHandle } from './bus.ts';
